"""The format-only control: each training question is shown with an unrelated passage, so the
answer no longer follows from the text. A model can still learn the output format and the label
prior, but not reading comprehension."""

from __future__ import annotations

import random
from typing import Sequence

from xlt.data.items import Item


def swapped_passages(items: Sequence[Item], seed: int) -> list[str]:
    """A passage for every item, taken from an item of a *different* passage in the same language.

    A seeded shuffle is repaired into a derangement over passages (no item keeps its own text).
    """
    rng = random.Random(seed)
    out: list[str] = [""] * len(items)
    by_lang: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        by_lang.setdefault(it.lang, []).append(i)
    for lang, idx in by_lang.items():
        links = sorted({items[i].link for i in idx})
        if len(links) < 2:
            raise ValueError(f"format-only training needs >= 2 passages in {lang}, got {len(links)}")
        text = {items[i].link: items[i].passage for i in idx}
        shuffled = links[:]
        rng.shuffle(shuffled)
        # rotate by one over the shuffled order: a derangement (every link maps to another)
        mapping = {a: b for a, b in zip(shuffled, shuffled[1:] + shuffled[:1])}
        for i in idx:
            out[i] = text[mapping[items[i].link]]
    return out

"""The format-only control (regime ``finetune_format``).

Each training question is shown with the passage of a *different* Belebele passage in the same
language, while its question, four options and gold answer stay as they are. The answer then no
longer follows from the text: fine-tuning on these items can teach the output format (answer with a
label token after the prompt) and the label prior, but not reading comprehension. Comparing
``finetune_format`` with ``zero_shot`` measures the format effect; comparing ``finetune`` with
``finetune_format`` measures what the real passages add (see ``xlt.report.disentangle``).

Properties (tested in tests/data/test_format_only.py):

* a derangement over passages within a language: every item gets a passage of another link, and
  never a text equal to its own (Belebele has a few near-duplicate articles; equal text under another
  link would leak the answer back);
* every item of one passage gets the same replacement (a passage's 1-2 questions stay together, as in
  the real data), and the replacement comes from the training items themselves, so no held-out
  passage can enter through the swap;
* deterministic per seed and language: the mapping of one language depends only on ``seed``, the
  language code and that language's training passages — not on which other variants are trained
  alongside or on item order.
"""

from __future__ import annotations

import random
from typing import Sequence

from xlt.data.items import Item

_MAX_TRIES = 1000


def _derangement(links: list[str], text: dict[str, str], rng: random.Random) -> dict[str, str]:
    """Map every link to another link whose passage text differs from its own.

    A seeded shuffle rotated by one is a single cycle over all links, hence a derangement over
    links; it is redrawn (deterministically) in the rare case that two links share a text.
    """
    for _ in range(_MAX_TRIES):
        order = links[:]
        rng.shuffle(order)
        mapping = dict(zip(order, order[1:] + order[:1]))
        if all(text[mapping[a]] != text[a] for a in links):
            return mapping
    raise ValueError(f"no derangement of {len(links)} passages avoids equal texts (too many duplicates)")


def swapped_passages(items: Sequence[Item], seed: int) -> list[str]:
    """A replacement passage for every item (same order as ``items``), from another passage of its language.

    Raises ValueError when a language has fewer than two distinct passages (nothing to swap with).
    """
    out: list[str] = [""] * len(items)
    by_lang: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        by_lang.setdefault(it.lang, []).append(i)
    for lang, idx in by_lang.items():
        # One RNG per (seed, language), seeded from a string (hashed with SHA-512 by `random`, so
        # stable across processes and PYTHONHASHSEED): adding a variant never reshuffles another.
        rng = random.Random(f"xlt-format-only:{seed}:{lang}")
        text = {items[i].link: items[i].passage for i in idx}
        links = sorted(text)
        if len(set(text.values())) < 2:
            raise ValueError(f"format-only training needs >= 2 distinct passages in {lang}, got {len(set(text.values()))}")
        mapping = _derangement(links, text, rng)
        for i in idx:
            out[i] = text[mapping[items[i].link]]
    return out

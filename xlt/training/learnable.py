"""A small learnable task for checking that training really learns (tests, smoke runs, benchmarks).

Each item's answer is fixed by one word of its passage (a colour; the four options are always the same
four colours, so the label is the colour's position), and the other words vary, so a model must read
the passage to answer. A random-init model is at chance (25 %); a few LoRA epochs reach ~100 %.
"""

from __future__ import annotations

import random

from xlt.data.items import Item

COLOURS = ("red", "blue", "green", "black")
NAMES = ("Adam", "Sami", "Karim", "Yusuf", "Daniel", "Omar", "Nabil", "Rami")
PLACES = ("market", "school", "station", "harbour", "garden", "library")


def learnable_items(n: int = 32, seed: int = 0, lang: str = "eng_Latn", filler_words: int = 0) -> list[Item]:
    """``n`` items, answers balanced over the four labels. ``filler_words`` lengthens passages with
    varied text (benchmarks: a realistic spread of lengths)."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        answer = i % 4 + 1
        name, place = rng.choice(NAMES), rng.choice(PLACES)
        filler = " ".join(rng.choice(PLACES + NAMES) for _ in range(rng.randint(0, filler_words)))
        passage = f"{name} went to the {place}. {filler} The door of the {place} was {COLOURS[answer - 1]}."
        items.append(Item(lang=lang, link=f"learnable/{seed}/{i}", question_number=1, passage=passage,
                          question=f"What colour was the door of the {place}?", options=COLOURS, answer=answer))
    return items

"""The unit of data: one multiple-choice item (a Belebele question, a SIB-200 sentence) in one language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

FIELDS = ("link", "question_number", "flores_passage", "question",
          "mc_answer1", "mc_answer2", "mc_answer3", "mc_answer4", "correct_answer_num")


@dataclass(frozen=True)
class Item:
    """One multiple-choice item with K options; ``key`` aligns it across languages.

    ``flores_ids`` are the FLORES-200 sentence ids the item's text contains (SIB-200: its own
    sentence; Belebele: the passage's sentences, when known) — the identity cross-task leak checks use.
    """

    lang: str
    link: str
    question_number: int
    passage: str
    question: str
    options: tuple[str, ...]
    answer: int  # gold option, 1..K
    flores_ids: tuple[int, ...] = ()

    @property
    def n_options(self) -> int:
        """K, the number of answer options."""
        return len(self.options)

    @property
    def key(self) -> tuple[str, int]:
        """(link, question_number): the same item in every language."""
        return (self.link, self.question_number)

    @classmethod
    def from_row(cls, lang: str, row: Mapping[str, Any], where: str = "") -> "Item":
        """Parse an official-layout row; a malformed row raises ValueError naming ``where``."""
        missing = [f for f in FIELDS if f not in row or row[f] is None]
        if missing:
            raise ValueError(f"{where}: missing field(s) {', '.join(missing)}")
        try:
            answer = int(str(row["correct_answer_num"]).strip())
            qnum = int(row["question_number"])
        except ValueError as err:
            raise ValueError(f"{where}: bad correct_answer_num/question_number: {err}") from None
        if answer not in (1, 2, 3, 4):
            raise ValueError(f"{where}: correct_answer_num must be 1..4, got {row['correct_answer_num']!r}")
        return cls(
            lang=lang,
            link=str(row["link"]),
            question_number=qnum,
            passage=str(row["flores_passage"]),
            question=str(row["question"]),
            options=tuple(str(row[f"mc_answer{i}"]) for i in range(1, 5)),  # type: ignore[arg-type]
            answer=answer,
        )

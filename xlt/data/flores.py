"""Cross-task leak detection by FLORES-200 sentence identity.

SIB-200 sentences and Belebele passages both come from FLORES-200, so a SIB sentence (FLORES id =
its ``index_id``) can sit inside a Belebele passage, in any language. ``passage_sentence_ids`` finds,
for every Belebele passage (``link``), the ids of the SIB sentences it contains, by string matching
in every language both sides have (after Unicode NFC and whitespace normalisation) and taking the
union, so the identity does not rest on one language's text. ``annotate`` stores those ids in the
Belebele items' ``flores_ids``; ``overlap`` and ``LeakReport`` then compare any training set with any
evaluation set by id, whatever the languages or tasks.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass, replace
from typing import Iterable, Mapping

from xlt.data.items import Item

_SEP = "\x00"  # never in FLORES text: matches cannot span two passages


def normalize(text: str) -> str:
    """The form texts are matched in: NFC, ASCII double quotes as spaces, whitespace runs -> one space.

    Quotes are dropped because both releases carry CSV-escaping leftovers that differ between them: Belebele
    passages double some quotes (eng ``has ""effects"" on``, where SIB-200 has ``"effects"``) and a few
    SIB-200 texts keep doubled quotes (fra ``""très troublante""``). Matching with the quotes kept
    misses 46 English and 95 Arabic (passage, sentence) pairs of the union.
    """
    return " ".join(unicodedata.normalize("NFC", text).replace('"', " ").split())


def _sentences(items: Iterable[Item]) -> dict[int, str]:
    """FLORES id -> normalised text of single-sentence items (SIB-200), any split."""
    out: dict[int, str] = {}
    for it in items:
        if len(it.flores_ids) == 1:
            out.setdefault(it.flores_ids[0], normalize(it.passage))
    return out


def match_language(passages: Mapping[str, str], sentences: Mapping[int, str]) -> dict[str, set[int]]:
    """Which sentences (id -> text) occur in which passages (link -> text), in one language.

    All passages are joined into one string and each sentence is searched with ``str.find``, so a
    language costs about one pass per sentence over the joined text (milliseconds).
    """
    links = list(passages)
    parts = [normalize(passages[link]) for link in links]
    starts, pos = [], 0
    for part in parts:
        starts.append(pos)
        pos += len(part) + len(_SEP)
    joined = _SEP.join(parts)
    found: dict[str, set[int]] = {}
    for fid, sent in sentences.items():
        if not sent:
            continue
        at = joined.find(sent)
        while at >= 0:
            found.setdefault(links[bisect.bisect_right(starts, at) - 1], set()).add(fid)
            at = joined.find(sent, at + 1)
    return found


def _passages(items: Iterable[Item]) -> dict[str, str]:
    """link -> passage (the first seen; Belebele repeats a passage for each of its questions)."""
    out: dict[str, str] = {}
    for it in items:
        out.setdefault(it.link, it.passage)
    return out


def matches_per_language(belebele: Mapping[str, list[Item]],
                         sib: Mapping[str, list[Item]]) -> dict[str, dict[str, set[int]]]:
    """{code: {link: ids found in that language}} for every code in both ``belebele`` and ``sib``."""
    return {code: match_language(_passages(belebele[code]), _sentences(sib[code]))
            for code in belebele if code in sib}


def passage_sentence_ids(belebele: Mapping[str, list[Item]],
                         sib: Mapping[str, list[Item]]) -> dict[str, tuple[int, ...]]:
    """Map every Belebele ``link`` to the sorted FLORES ids of the SIB sentences its passage contains.

    ``belebele``: {code: items}; ``sib``: {code: items of any splits (e.g. train + dev + test)}.
    Matches are found in each language both have and united over languages; a link with no match
    maps to ``()``. Raises ValueError when the two share no language.
    """
    per_lang = matches_per_language(belebele, sib)
    if not per_lang:
        raise ValueError(f"Belebele ({', '.join(sorted(belebele))}) and SIB-200 "
                         f"({', '.join(sorted(sib))}) share no language; nothing to match")
    union: dict[str, set[int]] = {link: set() for items in belebele.values() for link in _passages(items)}
    for found in per_lang.values():
        for link, ids in found.items():
            union[link] |= ids
    return {link: tuple(sorted(ids)) for link, ids in sorted(union.items())}


def with_flores_ids(items: Iterable[Item], ids_by_link: Mapping[str, tuple[int, ...]]) -> list[Item]:
    """Copies of ``items`` with ``flores_ids`` set from ``ids_by_link`` (by link; ``()`` when absent)."""
    return [replace(it, flores_ids=tuple(ids_by_link.get(it.link, ()))) for it in items]


def annotate(belebele: Mapping[str, list[Item]], sib: Mapping[str, list[Item]]) -> dict[str, list[Item]]:
    """Belebele items (every language) with ``flores_ids`` filled in from ``passage_sentence_ids``."""
    ids = passage_sentence_ids(belebele, sib)
    return {code: with_flores_ids(items, ids) for code, items in belebele.items()}


def overlap(train: Iterable[Item], eval: Iterable[Item]) -> list[Item]:
    """Evaluation items sharing at least one FLORES id with any training item, in any language.

    Only as good as the items' ``flores_ids``: Belebele items must be annotated first (``annotate``).
    """
    seen = {fid for it in train for fid in it.flores_ids}
    return [it for it in eval if seen.intersection(it.flores_ids)]


@dataclass(frozen=True)
class LeakReport:
    """How an evaluation set overlaps a training set by FLORES sentence identity."""

    n_train: int
    n_eval: int
    keys: tuple[tuple[str, int], ...]  # overlapping evaluation keys, sorted, each once
    shared_ids: tuple[int, ...]  # FLORES ids in both sets, sorted
    n_items: int = 0  # overlapping evaluation items (every language counted)

    @classmethod
    def of(cls, train: Iterable[Item], eval: Iterable[Item]) -> "LeakReport":
        """Compare ``train`` with ``eval`` (see ``overlap``)."""
        train, eval = list(train), list(eval)
        train_ids = {fid for it in train for fid in it.flores_ids}
        eval_ids = {fid for it in eval for fid in it.flores_ids}
        hits = overlap(train, eval)
        return cls(n_train=len(train), n_eval=len(eval), keys=tuple(sorted({it.key for it in hits})),
                   shared_ids=tuple(sorted(train_ids & eval_ids)), n_items=len(hits))

    @property
    def clean(self) -> bool:
        """True when no evaluation item shares a sentence with training."""
        return not self.keys

    def summary(self) -> str:
        """One line, e.g. ``leak: 12 of 400 eval items (3 keys) share 4 FLORES ids with 701 train items``."""
        if self.clean:
            return f"no leak: {self.n_eval} eval items share no FLORES id with {self.n_train} train items"
        return (f"leak: {self.n_items} of {self.n_eval} eval items ({len(self.keys)} keys) share "
                f"{len(self.shared_ids)} FLORES ids with {self.n_train} train items")

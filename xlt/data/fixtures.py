"""The project's own Belebele-layout fixtures: small, deterministic, parallel and learnable.

Used by ``make demo`` (no download) and by tests. 32 template passages (``fixture_templates``), most with two
questions, 60 items per language, in the official Belebele field layout. The plan — which slot values each
passage uses, which questions it asks, the distractors and the gold position — is drawn once from fixed
seeds and shared by every language, so ``(link, question_number)`` is the same item, with the same gold
answer, everywhere. Each question asks for a value the passage states once; the gold option appears verbatim
in the passage and the three distractors (same slot type) do not, so a tiny model can learn the task.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from pathlib import Path

from xlt.data.fixture_templates import ANSWER_SLOT, BUS_NUMBERS, HOURS, SPECS, STORY_QUESTIONS, Value
from xlt.errors import ConfigError, unknown_choice

FIXTURE_LANGUAGES: tuple[str, ...] = (
    "arb_Arab", "acm_Arab", "apc_Arab", "ars_Arab", "ary_Arab", "arz_Arab",
    "heb_Hebr", "mlt_Latn", "amh_Ethi", "tir_Ethi",
    "eng_Latn", "fra_Latn", "spa_Latn", "tur_Latn", "jpn_Jpan", "kor_Hang", "zho_Hans",
)
N_PASSAGES = 32
LINK_PREFIX = "https://fixtures.xlt/passage/"
DS = "2023-05-03"  # the `ds` value of the official release
_SEED = 20231

assert set(FIXTURE_LANGUAGES) == set(SPECS), "every fixture language needs a spec and vice versa"


@dataclass(frozen=True)
class _PlannedItem:
    """One question, language-independent: slot values are indices (numbers for hour/bus)."""

    passage: int  # 0-based
    question_number: int  # 1 or 2
    story: int
    values: tuple[tuple[str, int], ...]  # slot name -> index (or the number itself for hour/bus)
    question: str  # question key in STORY_QUESTIONS[story]
    options: tuple[int, int, int, int]  # indices (or numbers) of the four options, in order
    answer: int  # 1..4


def _pool(slot: str) -> list[int]:
    """Choices for a slot: indices into the slot list, or the numbers themselves."""
    if slot == "hour":
        return list(HOURS)
    if slot == "bus":
        return list(BUS_NUMBERS)
    sizes = {len(spec["slots"][slot]) for spec in SPECS.values()}
    assert len(sizes) == 1, f"slot {slot!r} has different lengths across languages: {sizes}"
    return list(range(sizes.pop()))


@functools.lru_cache(maxsize=1)
def _plan() -> tuple[_PlannedItem, ...]:
    """Draw the shared plan from fixed seeds (same on every machine and Python version)."""
    drafts: list[tuple[int, int, int, dict[str, int], str, list[int], int]] = []
    for p in range(N_PASSAGES):
        rng = random.Random(_SEED + p)
        story = p % len(STORY_QUESTIONS)
        name, friend = rng.sample(_pool("name"), 2)
        values = {"name": name, "friend": friend}
        for slot in ("city", "day", "item", "job", "colour", "hour", "bus"):
            values[slot] = rng.choice(_pool(slot))
        n_questions = 1 if p % 8 == 7 else 2  # like Belebele: most passages carry two questions
        for qn, key in enumerate(rng.sample(STORY_QUESTIONS[story], n_questions), start=1):
            gold = values[key]
            taken = {values["name"], values["friend"]} if key == "friend" else {gold}
            distractors = rng.sample([v for v in _pool(ANSWER_SLOT[key]) if v not in taken], 3)
            drafts.append((p, qn, story, values, key, distractors, gold))
    # Gold positions: exactly balanced over 1..4 (up to the remainder), in a seeded order.
    positions = [1 + i % 4 for i in range(len(drafts))]
    random.Random(_SEED).shuffle(positions)
    plan = []
    for (p, qn, story, values, key, distractors, gold), answer in zip(drafts, positions):
        options = list(distractors)
        options.insert(answer - 1, gold)
        plan.append(_PlannedItem(p, qn, story, tuple(sorted(values.items())), key, tuple(options), answer))  # type: ignore[arg-type]
    return tuple(plan)


def _forms(value: Value) -> tuple[str, str]:
    """(option form, passage form) of a slot value."""
    return value if isinstance(value, tuple) else (value, value)


def _render(spec: dict, slot: str, v: int, in_passage: bool) -> str:
    if slot in ("hour", "bus"):
        return str(v)
    option, passage = _forms(spec["slots"][slot][v])
    return passage if in_passage else option


@functools.lru_cache(maxsize=None)
def _rows(code: str) -> tuple[tuple[tuple[str, object], ...], ...]:
    spec = SPECS[code]
    rows = []
    for item in _plan():
        values = dict(item.values)
        fill = {slot: _render(spec, "name" if slot == "friend" else slot, v, True) for slot, v in values.items()}
        passage_t, questions = spec["stories"][item.story]
        answer_slot = ANSWER_SLOT[item.question]
        row = {
            "link": f"{LINK_PREFIX}{item.passage + 1:03d}",
            "question_number": item.question_number,
            "flores_passage": passage_t.format(**fill),
            "question": questions[item.question].format(**fill),
            **{f"mc_answer{i}": _render(spec, answer_slot, v, False) for i, v in enumerate(item.options, 1)},
            "correct_answer_num": str(item.answer),
            "dialect": code,
            "ds": DS,
        }
        rows.append(tuple(row.items()))
    return tuple(rows)


def fixture_rows(code: str) -> list[dict]:
    """All fixture rows of one language (fresh dicts, official Belebele field layout and order)."""
    if code not in SPECS:
        raise unknown_choice("fixture language", code, list(FIXTURE_LANGUAGES), limit=len(FIXTURE_LANGUAGES))
    return [dict(r) for r in _rows(code)]


def write_fixtures(directory: str | Path, codes: list[str] | tuple[str, ...] | None = None) -> list[Path]:
    """Write ``<code>.jsonl`` (UTF-8, one row per line) for ``codes`` (default: all) into ``directory``."""
    codes = list(FIXTURE_LANGUAGES if codes is None else codes)
    bad = [c for c in codes if c not in SPECS]
    if bad:
        raise unknown_choice("fixture language", bad[0], list(FIXTURE_LANGUAGES), limit=len(FIXTURE_LANGUAGES))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for code in codes:
        path = directory / f"{code}.jsonl"
        lines = [json.dumps(row, ensure_ascii=False) for row in fixture_rows(code)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


@functools.lru_cache(maxsize=1)
def corpus_text() -> str:
    """Every passage (once), question and option of every fixture language, one per line (for a tiny tokenizer)."""
    lines: list[str] = []
    for code in FIXTURE_LANGUAGES:
        seen: set[str] = set()
        for row in _rows(code):
            r = dict(row)
            if r["link"] not in seen:
                seen.add(str(r["link"]))
                lines.append(str(r["flores_passage"]))
            lines.append(str(r["question"]))
            lines.extend(str(r[f"mc_answer{i}"]) for i in range(1, 5))
    return "\n".join(lines)


__all__ = ["FIXTURE_LANGUAGES", "ConfigError", "corpus_text", "fixture_rows", "write_fixtures"]

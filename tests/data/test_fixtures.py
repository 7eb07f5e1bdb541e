"""Tests for the project's own Belebele-layout fixtures (xlt.data.fixtures)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from xlt.data import fixtures as F
from xlt.data.fixture_templates import DIALECT_SUBSTITUTIONS, SPECS
from xlt.errors import ConfigError

FIELDS = ["link", "question_number", "flores_passage", "question", "mc_answer1", "mc_answer2", "mc_answer3",
          "mc_answer4", "correct_answer_num", "dialect", "ds"]
REQUIRED = {"arb_Arab", "heb_Hebr", "amh_Ethi", "mlt_Latn", "eng_Latn", "fra_Latn", "jpn_Jpan", "kor_Hang",
            "acm_Arab", "apc_Arab", "ars_Arab", "ary_Arab", "arz_Arab"}

# Unicode script of each variant's letters (unicodedata names start with these words).
SCRIPT_WORDS = {"Arab": ("ARABIC",), "Hebr": ("HEBREW",), "Ethi": ("ETHIOPIC",), "Latn": ("LATIN",),
                "Jpan": ("HIRAGANA", "KATAKANA", "CJK"), "Hang": ("HANGUL",), "Hans": ("CJK",)}


def _key(row: dict) -> tuple[str, int]:
    return (row["link"], row["question_number"])


def test_required_languages_present() -> None:
    assert REQUIRED <= set(F.FIXTURE_LANGUAGES)
    assert len(F.FIXTURE_LANGUAGES) == len(set(F.FIXTURE_LANGUAGES))
    from xlt.languages import LANGUAGES, PANELS

    assert set(F.FIXTURE_LANGUAGES) <= set(LANGUAGES)
    assert set(PANELS["demo"]) <= set(F.FIXTURE_LANGUAGES)  # `make demo` needs no download


@pytest.mark.parametrize("code", F.FIXTURE_LANGUAGES)
def test_rows_in_official_layout(code: str) -> None:
    rows = F.fixture_rows(code)
    assert 55 <= len(rows) <= 70
    for row in rows:
        assert list(row) == FIELDS
        assert row["dialect"] == code and row["ds"] == F.DS
        assert isinstance(row["question_number"], int) and row["question_number"] in (1, 2)
        assert row["correct_answer_num"] in ("1", "2", "3", "4")
        assert re.fullmatch(r"https://fixtures\.xlt/passage/\d{3}", row["link"])
        options = [row[f"mc_answer{i}"] for i in range(1, 5)]
        assert len(set(options)) == 4 and all(o.strip() for o in options)
        assert "{" not in row["flores_passage"] + row["question"]  # every slot filled
    assert len({_key(r) for r in rows}) == len(rows)


def test_passages_mostly_carry_two_questions() -> None:
    rows = F.fixture_rows("eng_Latn")
    per_passage = Counter(r["link"] for r in rows)
    assert len(per_passage) >= 30
    assert set(per_passage.values()) <= {1, 2}
    assert sum(1 for n in per_passage.values() if n == 2) > 0.75 * len(per_passage)
    # question 1 always exists where question 2 does
    assert all((link, 1) in {_key(r) for r in rows} for link in per_passage)


def test_parallel_across_languages_with_identical_golds() -> None:
    reference = {_key(r): r["correct_answer_num"] for r in F.fixture_rows("eng_Latn")}
    for code in F.FIXTURE_LANGUAGES:
        rows = F.fixture_rows(code)
        assert {_key(r): r["correct_answer_num"] for r in rows} == reference, code
        # the same passage text for both questions of a link
        texts: dict[str, set[str]] = {}
        for r in rows:
            texts.setdefault(r["link"], set()).add(r["flores_passage"])
        assert all(len(t) == 1 for t in texts.values()), code


def test_gold_distribution_balanced() -> None:
    counts = Counter(r["correct_answer_num"] for r in F.fixture_rows("arb_Arab"))
    assert set(counts) == {"1", "2", "3", "4"}
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.parametrize("code", F.FIXTURE_LANGUAGES)
def test_learnable_gold_in_passage_distractors_not(code: str) -> None:
    for row in F.fixture_rows(code):
        gold = int(row["correct_answer_num"])
        for i in range(1, 5):
            present = row[f"mc_answer{i}"] in row["flores_passage"]
            assert present == (i == gold), (code, _key(row), row[f"mc_answer{i}"])


@pytest.mark.parametrize("code", F.FIXTURE_LANGUAGES)
def test_native_script(code: str) -> None:
    script = code.split("_")[1]
    words = SCRIPT_WORDS[script]
    text = "".join(r["flores_passage"] + r["question"] for r in F.fixture_rows(code))
    letters = [ch for ch in text if ch.isalpha()]
    native = sum(1 for ch in letters if unicodedata.name(ch, "").startswith(words))
    assert native / len(letters) > 0.95, code
    if code == "jpn_Jpan":  # both kana and kanji
        assert re.search(r"[\u3040-\u30ff]", text) and re.search(r"[\u4e00-\u9fff]", text)


def test_dialects_differ_from_msa_but_share_answers() -> None:
    msa = F.fixture_rows("arb_Arab")
    for code in DIALECT_SUBSTITUTIONS:
        rows = F.fixture_rows(code)
        assert sum(a["flores_passage"] != b["flores_passage"] for a, b in zip(msa, rows)) == len(rows), code
        assert [r["correct_answer_num"] for r in rows] == [r["correct_answer_num"] for r in msa]


def test_unknown_code_lists_available() -> None:
    with pytest.raises(ConfigError) as info:
        F.fixture_rows("kor_Kore")
    assert "kor_Kore" in str(info.value) and "kor_Hang" in str(info.value) and "zho_Hans" in str(info.value)
    with pytest.raises(ConfigError):
        F.write_fixtures("unused", ["xx_Latn"])


def test_write_fixtures_round_trip(tmp_path: Path) -> None:
    paths = F.write_fixtures(tmp_path, ["heb_Hebr", "jpn_Jpan"])
    assert [p.name for p in paths] == ["heb_Hebr.jsonl", "jpn_Jpan.jsonl"]
    for path, code in zip(paths, ["heb_Hebr", "jpn_Jpan"]):
        raw = path.read_text(encoding="utf-8")
        assert "\\u" not in raw  # written as UTF-8, readable
        assert [json.loads(line) for line in raw.splitlines()] == F.fixture_rows(code)
    assert len(F.write_fixtures(tmp_path / "all")) == len(F.FIXTURE_LANGUAGES)


def test_items_parse_with_project_loader() -> None:
    Item = pytest.importorskip("xlt.data.items").Item
    items = [Item.from_row("amh_Ethi", r) for r in F.fixture_rows("amh_Ethi")]
    assert all(1 <= it.answer <= 4 and len(it.options) == 4 for it in items)


def test_deterministic_and_fresh_copies() -> None:
    a = F.fixture_rows("kor_Hang")
    a[0]["question"] = "mutated"
    assert F.fixture_rows("kor_Hang")[0]["question"] != "mutated"
    plan = F._plan()
    F._plan.cache_clear()
    assert F._plan() == plan  # seeded, so a redraw is identical


def test_corpus_text() -> None:
    text = F.corpus_text()
    assert text == F.corpus_text()
    assert len(text.encode("utf-8")) < 300_000
    for code in F.FIXTURE_LANGUAGES:
        row = F.fixture_rows(code)[0]
        assert row["flores_passage"] in text and row["question"] in text and row["mc_answer1"] in text
    assert all(set(spec) == {"slots", "stories"} for spec in SPECS.values())

"""Belebele loading: local JSONL (official layout), the hub code path (offline, monkeypatched),
clear errors for malformed rows and missing languages, alignment by key rather than row order."""

from __future__ import annotations

import json
import random

import pytest
from omegaconf import OmegaConf

from xlt.data.belebele import load_jsonl, load_languages
from xlt.data.fixtures import fixture_rows
from xlt.data.splits import make_split
from xlt.errors import ConfigError


def _write(path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_hub_path_calls_load_dataset_per_variant(monkeypatch):
    import datasets

    calls = []

    def fake_load_dataset(path, name=None, split=None, revision=None, **kw):
        calls.append((path, name, split, revision))
        return datasets.Dataset.from_list(fixture_rows(name))

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    cfg = OmegaConf.create({"source": "hub", "hub_id": "facebook/belebele", "revision": "abc123"})
    data = load_languages(cfg, ["arb_Arab", "heb_Hebr", "arb_Arab"])
    assert calls == [("facebook/belebele", "arb_Arab", "test", "abc123"),
                     ("facebook/belebele", "heb_Hebr", "test", "abc123")]
    rows = fixture_rows("heb_Hebr")
    assert [(it.link, it.question_number, it.answer) for it in data["heb_Hebr"]] == \
        [(r["link"], int(r["question_number"]), int(r["correct_answer_num"])) for r in rows]
    assert data["heb_Hebr"][0].passage == rows[0]["flores_passage"] and data["heb_Hebr"][0].lang == "heb_Hebr"


def test_hub_unknown_language_lists_what_exists():
    cfg = OmegaConf.create({"source": "hub", "hub_id": "facebook/belebele", "revision": None})
    with pytest.raises(ConfigError, match=r"has no xyz_Latn; available: .*arb_Arab"):
        load_languages(cfg, ["xyz_Latn"])


def test_local_missing_language_lists_available(tmp_path):
    _write(tmp_path / "eng_Latn.jsonl", fixture_rows("eng_Latn"))
    _write(tmp_path / "arb_Arab.jsonl", fixture_rows("arb_Arab"))
    cfg = OmegaConf.create({"source": "local", "dir": str(tmp_path)})
    with pytest.raises(ConfigError, match=r"has no heb_Hebr; available: arb_Arab, eng_Latn"):
        load_languages(cfg, ["eng_Latn", "heb_Hebr"])


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "not valid JSON"),
    (json.dumps({"link": "x"}), "missing field"),
    ("BAD_ANSWER", "correct_answer_num must be 1..4"),
    ("BAD_QNUM", "bad correct_answer_num/question_number"),
])
def test_malformed_row_names_file_and_line(tmp_path, line, message):
    rows = fixture_rows("eng_Latn")[:4]
    if line == "BAD_ANSWER":
        line = json.dumps({**rows[2], "correct_answer_num": "5"})
    elif line == "BAD_QNUM":
        line = json.dumps({**rows[2], "question_number": "two"})
    path = tmp_path / "eng_Latn.jsonl"
    text = [json.dumps(r) for r in rows[:2]] + ["", line] + [json.dumps(rows[3])]  # blank line 3, bad line 4
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{path}:4: {message}"):
        load_jsonl(path, "eng_Latn")


def test_duplicate_item_is_an_error(tmp_path):
    rows = fixture_rows("eng_Latn")[:3]
    _write(tmp_path / "eng_Latn.jsonl", rows + [rows[1]])
    with pytest.raises(ValueError, match="duplicate item"):
        load_languages(OmegaConf.create({"source": "local", "dir": str(tmp_path)}), ["eng_Latn"])


def test_items_align_by_key_when_row_orders_differ(belebele_dir, tmp_path):
    """Shuffle one real file's rows: every split picks the same items with the same text."""
    codes = ["arb_Arab", "eng_Latn"]
    for code in codes:
        rows = [json.loads(x) for x in (belebele_dir / f"{code}.jsonl").read_text(encoding="utf-8").splitlines() if x]
        if code == "eng_Latn":
            random.Random(0).shuffle(rows)
        _write(tmp_path / f"{code}.jsonl", rows)
    shuffled = load_languages(OmegaConf.create({"source": "local", "dir": str(tmp_path)}), codes)
    original = load_languages(OmegaConf.create({"source": "local", "dir": str(belebele_dir)}), codes)
    assert [it.key for it in shuffled["eng_Latn"]] != [it.key for it in original["eng_Latn"]]
    for kind in ("paper", "passage", "kfold"):
        a = make_split(shuffled, ["arb_Arab"], codes, kind, 100)
        b = make_split(original, ["arb_Arab"], codes, kind, 100)
        assert a.eval_keys == b.eval_keys and a.eval == b.eval and a.train == b.train
        ar, en = a.eval["arb_Arab"], a.eval["eng_Latn"]
        assert [it.key for it in ar] == [it.key for it in en] and [it.answer for it in ar] == [it.answer for it in en]

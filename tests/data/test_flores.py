"""Cross-task leak detection by FLORES sentence id: SIB-200 sentences inside Belebele passages.

The counts are measured on the real data beside the project (../shared/data: 7 Belebele variants,
SIB-200 train/dev/test of the same 7) and asserted exactly; a synthetic case checks that a leak is
found by id across languages whose strings differ."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from xlt.data.flores import (LeakReport, annotate, matches_per_language, normalize, overlap,
                             passage_sentence_ids, with_flores_ids)
from xlt.data.items import Item
from xlt.data.sib200 import QUESTION, SIB_LABELS, load_language

SIB_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sib200"
CODES = ["arb_Arab", "eng_Latn", "fra_Latn", "jpn_Jpan", "spa_Latn", "tur_Latn", "zho_Hans"]
LUCID = "https://en.wikibooks.org/wiki/Lucid_Dreaming/Induction_Techniques"
VISA = "https://en.wikivoyage.org/wiki/Visa"


@pytest.fixture(scope="module")
def real(belebele_dir):
    """(belebele {code: items}, sib {code: {split: items}}) for the 7 Belebele variants."""
    from xlt.data.belebele import load_jsonl

    if not (SIB_DIR / "eng_Latn" / "train.tsv").exists():
        pytest.skip(f"real SIB-200 data not found at {SIB_DIR} (see ../shared/data/README.md)")
    belebele = {c: load_jsonl(belebele_dir / f"{c}.jsonl", c) for c in CODES}
    return belebele, {c: load_language(SIB_DIR, c) for c in CODES}


def _all(sib):
    return {c: [it for items in splits.values() for it in items] for c, splits in sib.items()}


def test_measured_overlap_on_real_data(real):
    belebele, sib = real
    start = time.perf_counter()
    ids = passage_sentence_ids(belebele, _all(sib))
    assert time.perf_counter() - start < 10  # ~0.6 s on an idle 2-core machine
    assert len(ids) == 488
    assert sum(1 for v in ids.values() if v) == 348  # passages containing at least one SIB sentence
    assert sum(len(v) for v in ids.values()) == 906
    found = {i for v in ids.values() for i in v}
    assert len(found) == 905
    seen = {split: len({it.flores_ids[0] for it in items} & found) for split, items in sib["eng_Latn"].items()}
    assert seen == {"train": 635, "dev": 89, "test": 181}  # of 701 / 99 / 204
    assert max(map(len, ids.values())) == 6
    assert [link for link, v in ids.items() if 832 in v] == [LUCID, VISA]  # the one id in two passages


def test_languages_agree_except_one_spanish_passage(real):
    belebele, sib = real
    per = matches_per_language(belebele, _all(sib))
    as_tuples = {c: {link: tuple(sorted(v)) for link, v in found.items()} for c, found in per.items()}
    eng = as_tuples["eng_Latn"]
    # English alone finds exactly what Arabic alone finds (and French, Turkish, Chinese, Japanese).
    for code in CODES:
        if code != "spa_Latn":
            assert as_tuples[code] == eng, code
    # Spanish Belebele's Lucid_Dreaming passage holds the Spanish text of FLORES 832 (a Visa sentence)
    # in place of the sentence every other language has: the union keeps it (conservative).
    spa = as_tuples["spa_Latn"]
    assert {k: v for k, v in spa.items() if eng.get(k) != v} == {LUCID: (832, 1530, 1533)}
    assert eng[LUCID] == (1530, 1533)
    union = passage_sentence_ids(belebele, _all(sib))
    assert {k: v for k, v in union.items() if v} == spa
    # One language is enough here only because the quotes are normalised away (see normalize).
    alone = passage_sentence_ids({"eng_Latn": belebele["eng_Latn"]}, {"eng_Latn": _all(sib)["eng_Latn"]})
    assert {k: v for k, v in alone.items() if v} == eng


def test_normalize_quotes_nfc_whitespace():
    assert normalize('has ""effects"" on') == normalize('has "effects" on') == "has effects on"
    assert normalize("cafe\u0301  \n x") == normalize("caf\u00e9 x") == "caf\u00e9 x"


def test_real_leak_report_sib_train_vs_belebele(real):
    belebele, sib = real
    annotated = annotate(belebele, _all(sib))
    assert [it.key for it in annotated["arb_Arab"]] == [it.key for it in belebele["arb_Arab"]]
    report = LeakReport.of(sib["arb_Arab"]["train"], annotated["eng_Latn"])
    assert (report.n_train, report.n_eval, report.n_items, len(report.keys)) == (701, 900, 587, 587)
    assert len({k[0] for k in report.keys}) == 317 and len(report.shared_ids) == 635
    assert report.summary() == "leak: 587 of 900 eval items (587 keys) share 635 FLORES ids with 701 train items"
    dev = LeakReport.of(sib["fra_Latn"]["dev"], annotated["zho_Hans"])
    assert (dev.n_items, len(dev.shared_ids)) == (142, 89)
    assert len(overlap(sib["eng_Latn"]["test"], annotated["jpn_Jpan"])) == 272


def _sib(lang, fid, text, answer=1):
    return Item(lang, f"sib200/{fid}", 0, text, QUESTION, SIB_LABELS, answer, (fid,))


def _bel(lang, link, qnum, passage):
    return Item(lang, link, qnum, passage, "Q?", ("a", "b", "c", "d"), 1)


def test_arabic_training_sentence_leaks_into_hebrew_eval_by_id():
    # SIB in Arabic only; Belebele in Arabic and Hebrew. The Hebrew passage shares no string with
    # the Arabic sentence, yet it is the same FLORES sentence: found through the Arabic passage's link.
    train = [_sib("arb_Arab", 11, "جملة التدريب الأولى."), _sib("arb_Arab", 12, "جملة أخرى.")]
    belebele = {
        "arb_Arab": [_bel("arb_Arab", "L1", 1, "مقدمة.  جملة التدريب \u0627لأولى. خاتمة."),
                     _bel("arb_Arab", "L2", 1, "نص لا علاقة له.")],
        "heb_Hebr": [_bel("heb_Hebr", "L1", 1, "הקדמה. משפט האימון הראשון. סיום."),
                     _bel("heb_Hebr", "L1", 2, "הקדמה. משפט האימון הראשון. סיום."),
                     _bel("heb_Hebr", "L2", 1, "טקסט לא קשור.")],
    }
    ids = passage_sentence_ids(belebele, {"arb_Arab": train})
    assert ids == {"L1": (11,), "L2": ()}
    heb = annotate(belebele, {"arb_Arab": train})["heb_Hebr"]
    assert [it.flores_ids for it in heb] == [(11,), (11,), ()]
    leaked = overlap(train, heb)
    assert [it.key for it in leaked] == [("L1", 1), ("L1", 2)] and all(it.lang == "heb_Hebr" for it in leaked)
    report = LeakReport.of(train, heb)
    assert report.keys == (("L1", 1), ("L1", 2)) and report.shared_ids == (11,) and not report.clean
    assert report.summary() == "leak: 2 of 3 eval items (2 keys) share 1 FLORES ids with 2 train items"
    # Unannotated Belebele items carry no ids: nothing can be found (annotate first).
    assert overlap(train, belebele["heb_Hebr"]) == []
    clean = LeakReport.of(train, with_flores_ids(belebele["heb_Hebr"], {"L2": (99,)}))
    assert clean.clean and clean.summary() == "no leak: 3 eval items share no FLORES id with 2 train items"


def test_sib_vs_sib_overlap_across_languages(real):
    _, sib = real
    assert overlap(sib["arb_Arab"]["train"], sib["eng_Latn"]["test"]) == []
    assert len(overlap(sib["arb_Arab"]["train"], sib["zho_Hans"]["train"])) == 701


def test_no_shared_language_is_an_error():
    with pytest.raises(ValueError, match="share no language"):
        passage_sentence_ids({"heb_Hebr": [_bel("heb_Hebr", "L", 1, "x")]}, {"arb_Arab": [_sib("arb_Arab", 1, "y")]})

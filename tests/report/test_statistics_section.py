"""The report's statistics wrapper: transfer targets only, and honest 'not estimated' notes."""

from __future__ import annotations

import pandas as pd

from xlt.report.gains import lang_info
from xlt.report.statistics import compare

SEM, CTL = ["arb_Arab", "heb_Hebr", "amh_Ethi", "mlt_Latn"], ["jpn_Jpan", "kor_Hang", "fra_Latn"]
AR = ("arb_Arab", "acm_Arab")


def cells(k_base, k_ft, langs=SEM + CTL, models=("m0", "m1"), n=100) -> pd.DataFrame:
    rows = [{"model": m, "lang": lang, **lang_info(lang), "n_items": n, "k_base": kb, "k_ft": kf}
            for m in models for lang, kb, kf in zip(langs, k_base, k_ft)]
    return pd.DataFrame(rows)


def test_source_variants_are_not_transfer_targets():
    c = cells([50, 55, 48, 60, 70, 52, 65], [80, 62, 60, 75, 74, 55, 70])
    res = compare(c, "ar", "finetune", AR)
    assert set(res.languages["lang"]) == set(SEM[1:] + CTL)
    primary = next(t for t in res.tests if t["test"] == "primary")
    assert primary["n_semitic"] == 3 and primary["n_control"] == 3 and primary["df"] == 3  # baseline-adjusted: L - 3


def test_too_few_languages_is_a_note_not_a_crash():
    c = cells([50, 55, 60], [60, 65, 70], langs=["arb_Arab", "heb_Hebr", "jpn_Jpan"])
    res = compare(c, "ar", "finetune", AR)
    assert res.tests == [] and "need >= 2 Semitic and >= 2 control" in res.missing[0]


def test_constant_gains_are_reported_as_degenerate():
    c = cells([30] * 7, [30] * 7, models=("m0",))
    res = compare(c, "ar", "finetune", AR)
    assert not any(t["test"] == "primary" for t in res.tests)
    assert any("do not vary" in m for m in res.missing)

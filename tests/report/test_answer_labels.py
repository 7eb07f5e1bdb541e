"""The answer panel's verdict and the label-bias tables, on small built inputs."""

from __future__ import annotations

import pandas as pd

from xlt.report.answer import panel_html, verdict
from xlt.report.gains import lang_info
from xlt.report.labels import bias_summary, label_shares
from xlt.report.statistics import compare

SEM, CTL = ["heb_Hebr", "amh_Ethi", "mlt_Latn"], ["jpn_Jpan", "kor_Hang", "fra_Latn", "spa_Latn"]


def _cells(bonus: int, n: int = 400, noise: int = 1) -> pd.DataFrame:
    base = {"heb_Hebr": 160, "amh_Ethi": 140, "mlt_Latn": 200, "jpn_Jpan": 180, "kor_Hang": 150,
            "fra_Latn": 210, "spa_Latn": 230}
    jitter = {"heb_Hebr": 3, "amh_Ethi": -2, "mlt_Latn": 1, "jpn_Jpan": -3, "kor_Hang": 2, "fra_Latn": 0,
              "spa_Latn": -1}
    rows = []
    for m, shift in (("weak", -40), ("strong", 60)):
        for lang in SEM + CTL:
            kb = base[lang] + shift
            kf = kb + (60 if m == "weak" else 20) + noise * jitter[lang] + (bonus if lang in SEM else 0)
            rows.append({"model": m, "source": "ar", "regime": "finetune", "lang": lang, **lang_info(lang),
                         "n_items": n, "k_base": kb, "k_ft": kf, "acc_base": kb / n, "gain_points": 100 * (kf - kb) / n})
    return pd.DataFrame(rows)


def test_a_large_planted_advantage_is_called_an_advantage():
    res = compare(_cells(bonus=40), "ar", "finetune", ("arb_Arab",))
    res.summary["p_holm"] = res.summary["primary"].p_value
    kind, text = verdict(res.summary)
    assert kind == "advantage" and "more than controls" in text
    html = panel_html([res], _cells(bonus=40), [])
    assert 'data-verdict="advantage"' in html and "weakest model (weak" in html
    assert "Label bias" not in html  # no predictions given: no label-bias line
    # amh_Ethi and kor_Hang of the weak model sit at chance: the sensitivity line says they were left out.
    assert "Without near-chance cells" in html and "12 of 14 cells used" in html


def test_no_effect_with_precise_languages_is_equivalent():
    res = compare(_cells(bonus=0), "ar", "finetune", ("arb_Arab",))
    kind, text = verdict(res.summary)
    assert kind == "equivalent" and "Equivalent within" in text


def test_no_effect_at_a_noisy_design_is_inconclusive_with_what_it_could_detect():
    res = compare(_cells(bonus=0, noise=8), "ar", "finetune", ("arb_Arab",))
    kind, text = verdict(res.summary)
    assert kind == "inconclusive" and "could only have detected about" in text
    assert "cannot be shown at this design" in text  # TOST infeasible: said, not reported as a finding


def test_label_shares_any_label_set_and_constant_answerer():
    rows = []
    for i in range(70):
        gold = 1 + i % 7  # a 7-label task
        rows.append({"model": "weak", "source": None, "regime": "zero_shot", "lang": "heb_Hebr", "pred": 3, "gold": gold})
        rows.append({"model": "good", "source": None, "regime": "zero_shot", "lang": "heb_Hebr", "pred": gold, "gold": gold})
    shares, labels = label_shares(pd.DataFrame(rows))
    assert labels == [str(k) for k in range(1, 8)]
    s = shares.set_index("model")
    assert s.loc["weak", "top_share"] == 1 and s.loc["weak", "top_label"] == "3"
    assert abs(s.loc["weak", "tv_from_gold"] - 6 / 7) < 1e-9 and s.loc["good", "tv_from_gold"] == 0
    assert abs(s.loc["good", "top_share"] - 1 / 7) < 1e-9
    summ = bias_summary(shares).set_index("model")
    assert summ.loc["weak", "mean_top_share"] == 1 and summ.loc["weak", "n_languages"] == 1


def test_answer_panel_states_label_bias_of_a_constant_answerer():
    rows = [{"model": "weak", "source": None, "regime": "zero_shot", "lang": "heb_Hebr", "pred": 1, "gold": 1 + i % 4}
            for i in range(40)]
    shares, _ = label_shares(pd.DataFrame(rows))
    html = panel_html([], pd.DataFrame(), ["no trained comparison"], bias_summary(shares))
    assert "weak zero_shot 100 %" in html and 'data-verdict="none"' in html

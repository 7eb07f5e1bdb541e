"""xlt.stats.tasks: slopes of language-level gain on relatedness per task and their difference, on
simulated tasks whose true slope difference is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlt.stats.tasks import task_slopes

N_SIMS = 200


def simulate(rng, n_lang=8, diff=0.0, sd=(0.25, 0.5), shared=0.2, slope=1.0) -> pd.DataFrame:
    """Two tasks on the same languages (same relatedness); the second task's slope is ``slope + diff``,
    its level and noise differ; a language effect is shared by both tasks."""
    rel = rng.uniform(0, 1, n_lang)
    u = rng.normal(0, shared, n_lang)
    rows = []
    for task, b, s, level in (("belebele", slope, sd[0], 0.5), ("sib200", slope + diff, sd[1], 0.1)):
        gain = level + b * rel + u + rng.normal(0, s, n_lang)
        rows += [{"task": task, "lang": f"l{i}", "relatedness": r, "gain_logit": g}
                 for i, (r, g) in enumerate(zip(rel, gain))]
    return pd.DataFrame(rows)


def _run(diff, seed, **kw):
    rng = np.random.default_rng(seed)
    rows = [task_slopes(simulate(rng, diff=diff, **kw)).difference("sib200") for _ in range(N_SIMS)]
    p = np.array([r["p_value"] for r in rows])
    covered = np.mean([r["ci_low"] <= diff <= r["ci_high"] for r in rows])
    return float(np.mean(p < 0.05)), float(covered), float(np.mean([r["difference"] for r in rows]))


def test_slopes_and_difference_match_separate_fits():
    d = simulate(np.random.default_rng(0), diff=1.0)
    res = task_slopes(d)
    s = res.slopes.set_index("task")
    for task in ("belebele", "sib200"):
        g = d[d["task"] == task]
        assert s.loc[task, "slope"] == pytest.approx(np.polyfit(g["relatedness"], g["gain_logit"], 1)[0])
        assert s.loc[task, "df"] == 6
    diff = res.difference("sib200")
    assert diff["difference"] == pytest.approx(s.loc["sib200", "slope"] - s.loc["belebele", "slope"])
    # block-diagonal design: the HC3 variance of the difference is the sum of the tasks' own
    assert diff["se"] ** 2 == pytest.approx(s["se"].pow(2).sum())
    assert diff["df"] == 16 - 4 and diff["reference"] == "belebele"
    assert task_slopes(d, reference="sib200").difference("belebele")["difference"] == pytest.approx(-diff["difference"])


def test_no_difference_does_not_reject_too_often():
    rate, coverage, mean = _run(0.0, seed=1)
    assert rate <= 0.08 and coverage >= 0.92 and abs(mean) < 0.15


def test_no_difference_with_unequal_noise_and_no_shared_language_effect():
    rate, coverage, _ = _run(0.0, seed=2, sd=(0.15, 0.6), shared=0.0)
    assert rate <= 0.09 and coverage >= 0.91


def test_a_large_difference_is_detected_and_estimated():
    rate, coverage, mean = _run(4.0, seed=3)
    assert rate >= 0.8 and coverage >= 0.92 and mean == pytest.approx(4.0, abs=0.2)


def test_too_few_languages_or_no_spread_is_refused():
    d = simulate(np.random.default_rng(0), n_lang=3)
    with pytest.raises(ValueError, match=">= 4 languages"):
        task_slopes(d)
    d = simulate(np.random.default_rng(0)).assign(relatedness=0.5)
    with pytest.raises(ValueError, match="varying"):
        task_slopes(d)
    with pytest.raises(ValueError, match=">= 2 tasks"):
        task_slopes(simulate(np.random.default_rng(0)).query("task == 'sib200'"))

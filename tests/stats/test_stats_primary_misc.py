"""Simulator shape, TOST, relatedness regression and minimum detectable bonus."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from xlt.stats import (
    SimSpec,
    TestResult,
    language_table,
    minimum_detectable_bonus,
    paired_difference,
    relatedness_regression,
    simulate,
    tost_equivalence,
)


def test_simulate_schema_and_pairing() -> None:
    df = simulate(SimSpec(cot_effect=0.2), seed=0)
    assert list(df.columns) == ["model", "lang", "semitic", "item", "regime", "correct"]
    assert set(df["regime"]) == {"zero_shot", "finetune", "cot"}
    assert len(df) == 7 * 6 * 100 * 3
    one = df[(df["model"] == "m0") & (df["lang"] == "heb_Hebr")]
    base = one[one["regime"] == "zero_shot"].sort_values("item")["correct"].to_numpy()
    ft = one[one["regime"] == "finetune"].sort_values("item")["correct"].to_numpy()
    r = paired_difference(base, ft)
    assert r.n == 100 and r.n_gained + r.n_lost < 100
    # Weak models sit above chance but well below strong ones.
    acc = df[df["regime"] == "zero_shot"].groupby("model")["correct"].mean()
    assert 0.3 < acc["m0"] < acc["m6"] <= 1.0


def _result(est: float, se: float, df: float = 23) -> TestResult:
    return TestResult("x", est, (est - 2 * se, est + 2 * se), se, 0.5, df, 25, 5, 20, 0.05)


def test_tost() -> None:
    assert tost_equivalence(_result(0.02, 0.08)).equivalent
    assert not tost_equivalence(_result(0.02, 0.3)).equivalent
    assert not tost_equivalence(_result(0.4, 0.05)).equivalent
    t = tost_equivalence(_result(0.0, 0.1), margin=0.25)
    assert t.p_lower == pytest.approx(t.p_upper)


def test_relatedness_regression_recovers_slope() -> None:
    rng = np.random.default_rng(0)
    rel = rng.random(30)
    tab = pd.DataFrame({"lang": [f"l{i}" for i in range(30)], "relatedness": rel,
                        "gain_logit": 0.2 + 0.8 * rel + rng.normal(0, 0.1, 30)})  # fmt: skip
    r = relatedness_regression(tab)
    assert r.ci[0] < 0.8 < r.ci[1] and r.df == 28 and r.p_value < 1e-6


def test_language_table_from_simulation() -> None:
    tab = language_table(simulate(SimSpec(), seed=2))
    assert len(tab) == 6 and tab["semitic"].sum() == 3 and (tab["n_models"] == 7).all()


def test_minimum_detectable_bonus_ordering() -> None:
    paper = minimum_detectable_bonus(SimSpec(), n_sims=600)
    bigger = minimum_detectable_bonus(replace(SimSpec(), n_items=900, control_langs=tuple(f"c{i}" for i in range(10))), n_sims=600)
    print(f"MDB paper={paper:.3f} 3v10x900={bigger:.3f}")
    assert 0 < bigger < paper < 3

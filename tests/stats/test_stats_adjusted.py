"""The primary analysis's parts: delta-method weights, near-chance flags, frame vs array path,
Holm, TOST feasibility, and nuisance fitted back from a sweep's cells."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from xlt.stats.adjusted import (adjusted_arrays, cell_logit_var, holm, near_chance, primary_test,
                                tost_feasibility, weighted_language_table)
from xlt.stats.planning import fit_nuisance, mde_points
from xlt.stats.primary import chance_logit
from xlt.stats.stress import SCENARIOS, StressSpec, stress_counts


def _cells(spec: StressSpec, seed: int = 0) -> pd.DataFrame:
    k0, k1 = stress_counts(spec, 1, np.random.default_rng(seed))
    sem = spec.semitic_mask
    return pd.DataFrame([{"model": f"m{m}", "lang": f"l{l:02d}", "semitic": bool(sem[l]), "k_base": k0[0, m, l],
                          "k_ft": k1[0, m, l], "n_items": spec.n_items}
                         for m in range(spec.n_models) for l in range(len(sem))])


def test_delta_variance_matches_binomial_spread_above_chance():
    n, p = 400, 0.7
    k = np.random.default_rng(0).binomial(n, p, 20_000)
    empirical = np.var(chance_logit(k, n))
    assert cell_logit_var(np.array([p * n]), n)[0] == pytest.approx(empirical, rel=0.1)
    # At chance the variance explodes: such a cell is nearly weightless.
    assert cell_logit_var(np.array([0.25 * n]), n)[0] > 100 * empirical


def test_near_chance_flag_uses_wilson_lower_bound():
    flags = near_chance(np.array([25, 30, 33, 35, 60]), 100)  # Wilson lower of 33 % is 24.7 %, of 35 % 26.5 %
    assert flags.tolist() == [True, True, True, False, False]


def test_frame_path_equals_array_path_and_weights_spare_the_weak_model():
    spec = replace(SCENARIOS["near_chance"], bonus_points=8.0)
    cells = _cells(spec, seed=4)
    r = primary_test(cells)
    k0 = cells.pivot(index="model", columns="lang", values="k_base").to_numpy()
    k1 = cells.pivot(index="model", columns="lang", values="k_ft").to_numpy()
    a = adjusted_arrays(k0, k1, 100, spec.semitic_mask)
    assert r.estimate == pytest.approx(a["estimate"][0]) and r.p_value == pytest.approx(a["p_value"][0])
    assert r.df == 6 - 3 and r.ci[0] < r.estimate < r.ci[1]
    assert r.ci_points[0] < r.estimate_points < r.ci_points[1]
    share = weighted_language_table(cells).attrs["weight_share"]
    assert share["m0"] < 0.05 < share["m4"]  # the model at chance carries almost no weight


def test_missing_cells_and_near_chance_sensitivity_run():
    cells = _cells(SCENARIOS["near_chance"], seed=5)
    r_all = primary_test(cells)
    r_sens = primary_test(cells, exclude_near_chance=True)
    assert "cells used" in r_sens.note and r_sens.note != r_all.note
    dropped = primary_test(cells.iloc[1:])  # one cell missing: still estimable
    assert np.isfinite(dropped.estimate) and dropped.df == 3


def test_holm_matches_statsmodels_and_keeps_nan():
    p = [0.01, 0.04, np.nan, 0.03]
    out = holm(p)
    ref = multipletests([0.01, 0.04, 0.03], method="holm")[1]
    assert np.isnan(out[2]) and np.allclose(out[[0, 1, 3]], ref)


def test_tost_feasibility_threshold_gives_the_promised_power():
    f = tost_feasibility(se=0.27, df=3, margin=0.25)
    assert not f.feasible and "cannot be shown" in f.sentence()
    # At the needed SE, simulated TOST succeeds ~80 % of the time when the true effect is 0.
    df, se = 60, tost_feasibility(1.0, 60, 0.25).se_needed
    rng = np.random.default_rng(1)
    est = rng.normal(0, se, 20_000)
    s_hat = se * np.sqrt(rng.chisquare(df, 20_000) / df)
    from scipy import stats
    q = stats.t.ppf(0.95, df)
    ok = (est - q * s_hat > -0.25) & (est + q * s_hat < 0.25)
    assert 0.75 < ok.mean() < 0.85


def test_fit_nuisance_recovers_the_generating_process():
    spec = StressSpec(n_models=6, n_control=9, n_items=400, gain_weak_points=30.0, gain_strong_points=2.0)
    fitted, how = fit_nuisance(_cells(spec, seed=2))
    true_acc = np.array(fitted.baseline_acc)
    assert np.all(np.diff(true_acc) > 0)  # ordered weak -> strong as simulated
    assert fitted.gain_weak_points > fitted.gain_strong_points + 10
    assert 0.1 < fitted.lang_difficulty_sd < 1.5 and "baseline_acc" in how


def test_mde_shrinks_with_more_languages():
    small = mde_points(StressSpec(n_models=3), n_sims=150, tol=1.0)
    big = mde_points(StressSpec(n_models=3, n_semitic=4, n_control=12), n_sims=150, tol=1.0)
    assert big < small < 40

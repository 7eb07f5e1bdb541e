"""Operating characteristics and power planning of the primary test under the stress simulator.

The planner's nuisance parameters are explicit (:meth:`StressSpec.nuisance`): before a run they are
the stress defaults, printed with the plan; once a sweep has results, :func:`fit_nuisance` takes the
observed per-model baselines, language spread and between-language gain variance from its cells.
Effects and minimum detectable effects are in accuracy POINTS (the report's scale).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from xlt.stats.adjusted import adjusted_arrays, cell_logit_var, tost_feasibility
from xlt.stats.primary import chance_logit, paper_ols_arrays
from xlt.stats.stress import StressSpec, pseudo_true, stress_counts

__all__ = ["operating_characteristics", "power_at", "mde_points", "fit_nuisance"]


def _primary(k0, k1, n, sem, chance=0.25, alpha=0.05, **kw):
    return adjusted_arrays(k0, k1, n, sem, chance, alpha, **kw)


def operating_characteristics(spec: StressSpec, n_sims: int = 1000, seed: int = 0, alpha: float = 0.05,
                              margin: float = 0.25) -> dict[str, float]:
    """False-positive rates under ``spec`` with bonus 0, power and CI coverage under ``spec``.

    Coverage is of the pseudo-true estimand (:func:`xlt.stats.stress.pseudo_true`: the primary
    estimate on noise-free cells, averaged over random languages).
    """
    null = replace(spec, bonus_points=0.0)
    k0, k1 = stress_counts(null, n_sims, np.random.default_rng(seed))
    sem, n, c = spec.semitic_mask, spec.n_items, spec.chance
    p0 = _primary(k0, k1, n, sem, c, alpha)
    out = {"fpr_primary": float(np.mean(p0["p_value"] < alpha)),
           "fpr_sensitivity": float(np.nanmean(_primary(k0, k1, n, sem, c, alpha, exclude_near_chance=True)
                                               ["p_value"] < alpha)),
           "fpr_unadjusted": float(np.mean(_primary(k0, k1, n, sem, c, alpha, adjust_baseline=False)
                                            ["p_value"] < alpha)),
           "fpr_paper_ols": float(np.mean(paper_ols_arrays(k0, k1, n, sem)["p_value"] < alpha)),
           "median_se": float(np.median(p0["se"])), "df": float(p0["df"][0])}
    tost = tost_feasibility(out["median_se"], out["df"], margin, alpha)
    out.update(se_needed_tost=tost.se_needed, tost_feasible=tost.feasible)
    if spec.bonus_points:
        k0, k1 = stress_counts(spec, n_sims, np.random.default_rng(seed + 1))
        r = _primary(k0, k1, n, sem, c, alpha)
        true = pseudo_true(spec, lambda a, b, nn, m: _primary(a, b, nn, m, c, alpha))
        out.update(power=float(np.mean(r["p_value"] < alpha)),
                   coverage=float(np.mean((r["lo"] <= true["estimate"]) & (true["estimate"] <= r["hi"]))),
                   estimand_logit=true["estimate"], estimand_points=true["estimate_points"],
                   mean_estimate_points=float(np.mean(r["estimate_points"])))
    return out


def power_at(spec: StressSpec, bonus_points: float, n_sims: int = 400, seed: int = 0, alpha: float = 0.05) -> float:
    """Power of the primary test at a planted Semitic bonus in points. A fixed ``seed`` gives
    common random numbers: the same studies at every bonus (monotone curves, stable bisection)."""
    s = replace(spec, bonus_points=float(bonus_points))
    k0, k1 = stress_counts(s, n_sims, np.random.default_rng(seed))
    return float(np.mean(_primary(k0, k1, s.n_items, s.semitic_mask, s.chance, alpha)["p_value"] < alpha))


def mde_points(spec: StressSpec, power: float = 0.8, n_sims: int = 400, seed: int = 0, alpha: float = 0.05,
               hi: float = 40.0, tol: float = 0.5) -> float:
    """Smallest planted bonus (points) detected with ``power`` (bisection); ``inf`` above ``hi``."""
    if power_at(spec, hi, n_sims, seed, alpha) < power:
        return float("inf")
    lo = 0.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if power_at(spec, mid, n_sims, seed, alpha) >= power else (mid, hi)
    return hi


def _two_way_resid(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Additive fit of a complete (M, L) grid: (model effects, language effects, residuals)."""
    grand = y.mean()
    m, lang = y.mean(1) - grand, y.mean(0) - grand
    return m, lang, y - grand - m[:, None] - lang[None, :]


def fit_nuisance(cells: pd.DataFrame, chance: float = 0.25, base: StressSpec = StressSpec()) -> tuple[StressSpec, dict[str, str]]:
    """Stress nuisance parameters from a sweep's observed cells (``model, lang, k_base, k_ft, n_items``).

    Returns (spec with the fitted values, {parameter: how it was estimated}); what the cells cannot
    identify (e.g. interactions with one model) keeps the default and says so. Sampling variance is
    subtracted from residual variances; the between-language gain spread is NOT (conservative).
    """
    how: dict[str, str] = {}
    wide = cells.pivot_table(index="model", columns="lang", values=["k_base", "k_ft", "n_items"], aggfunc="mean")
    kb, kf, n = (wide[c].to_numpy(float) for c in ("k_base", "k_ft", "n_items"))
    if np.isnan(kb).any():
        return base, {"all": "incomplete model x language grid: simulator defaults"}
    acc0, acc1 = kb / n, kf / n
    fit: dict[str, object] = {"baseline_acc": tuple(float(a) for a in acc0.mean(1))}
    how["baseline_acc"] = "observed mean baseline accuracy per model"
    ceiling = float(min(0.99, max(base.ceiling, acc0.max() + 0.01, acc1.max() + 0.01)))
    fit["ceiling"] = ceiling
    how["ceiling"] = "max(default, highest observed accuracy + 1 point)"
    M, L = kb.shape
    bl = chance_logit(kb, n, chance)
    _, lang_fx, res = _two_way_resid(bl)
    if L >= 3:
        fit["lang_difficulty_sd"] = float(np.std(lang_fx, ddof=1))
        how["lang_difficulty_sd"] = "SD of the languages' model-adjusted baseline logits"
    if M >= 2 and L >= 3:
        noise = float(np.mean(cell_logit_var(kb, n, chance)))
        fit["base_interaction_sd"] = float(np.sqrt(max(np.sum(res**2) / ((M - 1) * (L - 1)) - noise, 0.0)))
        how["base_interaction_sd"] = "residual SD of the baseline two-way fit, sampling variance removed"
    gain = 100 * (acc1 - acc0)
    r = np.clip((ceiling - acc0) / (ceiling - chance), 0, 1)
    if np.ptp(r) > 0.05:
        slope, icpt = np.polyfit(r.ravel(), gain.ravel(), 1)
        fit["gain_strong_points"], fit["gain_weak_points"] = float(icpt), float(icpt + slope)
        how["gain_*_points"] = "OLS of cell gain (points) on headroom (ceiling - baseline)"
        resid = gain - (icpt + slope * r)
    else:
        resid = gain - gain.mean()
    if L >= 3:
        fit["lang_gain_sd_points"] = float(np.std(resid.mean(0), ddof=1))
        how["lang_gain_sd_points"] = "SD over languages of the mean gain residual (incl. any family effect)"
    if M >= 2 and L >= 3:
        _, _, rr = _two_way_resid(resid)
        binom = float(np.mean(1e4 * (acc0 * (1 - acc0) + acc1 * (1 - acc1)) / n))
        fit["gain_interaction_sd_points"] = float(np.sqrt(max(np.sum(rr**2) / ((M - 1) * (L - 1)) - binom, 0.0)))
        how["gain_interaction_sd_points"] = "residual SD of the gain two-way fit, binomial variance removed"
    return replace(base, n_models=M, **fit), how

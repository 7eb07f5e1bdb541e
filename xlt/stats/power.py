"""Power of the language-level test and false-positive rate of the paper's OLS under the
paper-calibrated simulator (:class:`xlt.stats.simulate.SimSpec`): the calibration of the tests.
Planning a design (stress simulator, accuracy points, ``python -m xlt.power``) is :mod:`xlt.stats.planning`.

Everything is vectorised over simulated studies: the language-level test
needs only cell counts, so studies are simulated as count arrays
(:func:`xlt.stats.simulate.simulate_counts`), never as item-level frames.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from xlt.stats.primary import language_level_arrays, paper_ols_arrays
from xlt.stats.simulate import SimSpec, estimand_bonus, simulate_counts

__all__ = ["PowerResult", "power_analysis", "minimum_detectable_bonus"]


@dataclass(frozen=True)
class PowerResult:
    """Operating characteristics over ``n_sims`` simulated studies."""

    spec: SimSpec
    n_sims: int
    alpha: float
    power: float  # rejection rate of the language-level test under spec (its FPR if bonus=0)
    fpr_primary: float  # rejection rate of the language-level test with bonus=0
    fpr_paper_ols: float  # rejection rate of the paper's OLS with bonus=0
    paper_ols_rejection: float  # paper OLS rejection rate under spec
    coverage: float  # share of language-level CIs covering the marginal-scale estimand
    estimand: float  # see xlt.stats.simulate.estimand_bonus
    mean_estimate: float
    mcse: float  # Monte Carlo SE of a 5 % rate at this n_sims


def _rates(spec: SimSpec, n_sims: int, alpha: float, seed: int, mode: str, adjust_baseline: bool) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    k0, k1 = simulate_counts(spec, n_sims, rng, mode=mode)
    lang = language_level_arrays(k0, k1, spec.n_items, spec.semitic_mask, spec.chance, alpha, adjust_baseline)
    paper = paper_ols_arrays(k0, k1, spec.n_items, spec.semitic_mask)
    return lang, paper


def power_analysis(
    spec: SimSpec,
    n_sims: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
    mode: str = "items",
    adjust_baseline: bool = False,
) -> PowerResult:
    """Simulate ``n_sims`` studies under ``spec`` and under ``spec`` with bonus 0.

    ``mode="items"`` simulates every item (exact); ``"binomial"`` draws cell
    counts from the item-averaged probability (faster, ignores the shared
    item sample).
    """
    lang, paper = _rates(spec, n_sims, alpha, seed, mode, adjust_baseline)
    if spec.bonus == 0:
        lang0, paper0 = lang, paper
    else:
        lang0, paper0 = _rates(replace(spec, bonus=0.0), n_sims, alpha, seed + 1, mode, adjust_baseline)
    target = estimand_bonus(spec)
    return PowerResult(
        spec=spec, n_sims=n_sims, alpha=alpha,
        power=float(np.mean(lang["p_value"] < alpha)),
        fpr_primary=float(np.mean(lang0["p_value"] < alpha)),
        fpr_paper_ols=float(np.mean(paper0["p_value"] < alpha)),
        paper_ols_rejection=float(np.mean(paper["p_value"] < alpha)),
        coverage=float(np.mean((lang["lo"] <= target) & (target <= lang["hi"]))),
        estimand=target, mean_estimate=float(np.mean(lang["estimate"])),
        mcse=float(np.sqrt(alpha * (1 - alpha) / n_sims)),
    )  # fmt: skip


def minimum_detectable_bonus(
    spec: SimSpec,
    power: float = 0.8,
    alpha: float = 0.05,
    n_sims: int = 1000,
    seed: int = 0,
    hi: float = 3.0,
    tol: float = 0.01,
    adjust_baseline: bool = False,
) -> float:
    """Smallest planted logit bonus detected with the requested power (bisection).

    Uses the fast binomial mode with common random numbers: the same noise
    and the same uniforms (inverse-CDF binomial draws) at every bonus, so the
    simulated power curve is monotone and bisection is well defined. Returns
    ``inf`` if even ``hi`` is not detected with that power.
    """

    def rate(bonus: float) -> float:
        s = replace(spec, bonus=bonus)
        rng = np.random.default_rng(seed)
        M, L = s.n_models, len(s.langs)
        uniforms = np.random.default_rng(seed + 7).random((2, n_sims, M, L))
        k0, k1 = simulate_counts(s, n_sims, rng, mode="binomial", uniforms=uniforms)
        res = language_level_arrays(k0, k1, s.n_items, s.semitic_mask, s.chance, alpha, adjust_baseline)
        return float(np.mean(res["p_value"] < alpha))

    lo_b, hi_b = 0.0, hi
    if rate(hi_b) < power:
        return float("inf")
    while hi_b - lo_b > tol:
        mid = 0.5 * (lo_b + hi_b)
        if rate(mid) >= power:
            hi_b = mid
        else:
            lo_b = mid
    return hi_b

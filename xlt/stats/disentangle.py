"""Separate what fine-tuning teaches about the FORMAT from what it transfers
through language RELATEDNESS, in a source x target design.

Regimes per (model, target): ``zero_shot``; ``finetune_format`` (trained on
format-only data, no source language); ``finetune`` on each source ``s``.
All contrasts are on chance-corrected logits (see :func:`xlt.stats.primary.chance_logit`).

* Format effect: per target, mean over models of
  ``L(finetune_format) - L(zero_shot)``; the target language is the unit, so
  the interval is a t-interval over targets (df = n_targets - 1). Gain noise
  shared by all models of a target is thereby in the error term.
* Relatedness effect: per (source, target), mean over models of
  ``L(finetune_s) - L(finetune_format)`` -- the gain beyond format, which also
  removes each model's baseline -- regressed on related(s, t) (family
  indicator) or a continuous relatedness, with source and target fixed
  effects, standard errors clustered by target language (CR1 not counting
  the nested target effects, t with n_targets - 1 df). Target fixed effects absorb any remaining per-target
  baseline/format level, so relatedness is identified only by comparing
  sources on the same target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from xlt.stats.primary import chance_logit

__all__ = ["EffectEstimate", "DisentangleResult", "matrix_cells", "format_effect", "disentangle"]


@dataclass(frozen=True)
class EffectEstimate:
    """One effect on the chance-corrected logit scale."""

    name: str
    estimate: float
    ci: tuple[float, float]
    se: float
    p_value: float
    df: float
    n_clusters: int
    method: str


@dataclass(frozen=True)
class DisentangleResult:
    format_effect: EffectEstimate
    relatedness_effect: EffectEstimate
    pair_table: pd.DataFrame  # per (source, target): gain beyond format, predictor
    target_table: pd.DataFrame  # per target: format gain


def matrix_cells(data: pd.DataFrame, chance: float = 0.25) -> pd.DataFrame:
    """Cell counts and chance-corrected logits from an item- or cell-level frame.

    Returns one row per (model, regime, source, target) with ``n_correct,
    n_items, logit``. Rows without a source (zero_shot, finetune_format) carry
    ``source = "-"``.
    """
    d = data.copy()
    d["source"] = d["source"].fillna("-")
    keys = ["model", "regime", "source", "target"]
    if "correct" in d.columns:
        cells = d.groupby(keys, sort=False).agg(
            n_correct=("correct", "sum"), n_items=("correct", "count"),
            related=("related", "first"), relatedness=("relatedness", "first"),
        ).reset_index()  # fmt: skip
    else:
        cells = d[keys + ["n_correct", "n_items", "related", "relatedness"]].copy()
    cells["logit"] = chance_logit(cells["n_correct"].to_numpy(), cells["n_items"].to_numpy(), chance)
    return cells


def _t_interval(x: np.ndarray, alpha: float) -> tuple[float, float, float, float, float]:
    """(mean, se, p, lo, hi) of a one-sample t-interval; NaN but the mean when fewer than 2 values."""
    n = len(x)
    est = float(np.mean(x)) if n else float("nan")
    if n < 2:
        return est, float("nan"), float("nan"), float("nan"), float("nan")
    se = float(np.std(x, ddof=1) / np.sqrt(n))
    q = stats.t.ppf(1 - alpha / 2, n - 1)
    p = float(2 * stats.t.sf(abs(est / se), n - 1)) if se > 0 else float("nan")
    return est, se, p, est - q * se, est + q * se


def format_effect(cells: pd.DataFrame, alpha: float = 0.05) -> tuple[EffectEstimate, pd.DataFrame]:
    """The format effect from :func:`matrix_cells`: per target, the mean over models of
    ``L(finetune_format) - L(zero_shot)`` (source-free rows; a model x target missing either regime is
    left out), with a t-interval over targets. Returns (effect, per-target ``format_gain`` table); with
    fewer than 2 targets the interval is NaN (``n_clusters`` says how many targets there were)."""
    wide = cells[cells["source"] == "-"].pivot_table(index=["model", "target"], columns="regime", values="logit")
    fmt_mt = (wide["finetune_format"] - wide["zero_shot"]).dropna().rename("format_gain")
    target_table = fmt_mt.groupby("target").mean().reset_index()
    est, se, p, lo, hi = _t_interval(target_table["format_gain"].to_numpy(), alpha)
    n_t = len(target_table)
    return EffectEstimate("format", est, (lo, hi), se, p, n_t - 1, n_t, "t-interval over target languages"), target_table


def disentangle(
    data: pd.DataFrame, predictor: str = "related", alpha: float = 0.05, chance: float = 0.25
) -> DisentangleResult:
    """Estimate the format effect and the relatedness effect with intervals.

    ``data``: the frame of :func:`xlt.stats.simulate.simulate_matrix` (item or
    cell level), or real results in the same shape. ``predictor``: ``"related"``
    (same family, 0/1) or ``"relatedness"`` (continuous, e.g. URIEL
    similarity in [0, 1]; the effect is then per unit of relatedness).
    """
    cells = matrix_cells(data, chance)
    fmt, target_table = format_effect(cells, alpha)  # the unit is the target language
    wide = cells[cells["source"] == "-"].pivot_table(index=["model", "target"], columns="regime", values="logit")

    # Relatedness: gain of each source fine-tune beyond the format-only fine-tune.
    ft = cells[cells["regime"] == "finetune"].copy()
    ref = wide["finetune_format"].rename("ref").reset_index()
    ft = ft.merge(ref, on=["model", "target"], how="left")
    ft["gain_beyond_format"] = ft["logit"] - ft["ref"]
    pairs = ft.groupby(["source", "target"], as_index=False).agg(
        gain_beyond_format=("gain_beyond_format", "mean"), related=("related", "first"),
        relatedness=("relatedness", "first"),
    )  # fmt: skip
    X = pd.concat(
        [
            pairs[[predictor]].astype(float),
            pd.get_dummies(pairs["source"], prefix="src", drop_first=True, dtype=float),
            pd.get_dummies(pairs["target"], prefix="tgt", dtype=float),  # target FE replace the constant
        ],
        axis=1,
    )
    groups = pd.factorize(pairs["target"])[0]
    fit = sm.OLS(pairs["gain_beyond_format"].astype(float), X).fit(
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False}
    )
    # CR1 small-sample factor G/(G-1) * (N-1)/(N-K), but with K NOT counting the
    # target fixed effects: they are nested in the clusters, and counting them
    # (statsmodels' default) inflates the variance by ~50 % here and makes the
    # interval conservative (Cameron & Miller 2015, sec. VI.B).
    # Clusters are the targets of *this* fit (in-language exclusions may drop some format targets).
    g = int(pairs["target"].nunique())
    n_obs, k_all = X.shape
    k_eff = k_all - g + 1
    if g < 2 or n_obs <= k_eff:
        raise ValueError(f"relatedness is not identified: {g} target clusters, {n_obs} pairs, {k_eff} parameters")
    factor = g / (g - 1) * (n_obs - 1) / (n_obs - k_eff)
    se_r = float(np.sqrt(fit.cov_params().loc[predictor, predictor] * factor))
    est_r = float(fit.params[predictor])
    if not np.isfinite(se_r) or se_r == 0.0:
        raise ValueError("relatedness fit is degenerate (no residual variation)")
    q = stats.t.ppf(1 - alpha / 2, g - 1)
    p_r = float(2 * stats.t.sf(abs(est_r / se_r), g - 1))
    rel = EffectEstimate(
        predictor, est_r, (est_r - q * se_r, est_r + q * se_r), se_r, p_r, float(g - 1), g,
        "OLS with source and target FE, CR1 SE clustered by target language (t, G-1 df)",
    )  # fmt: skip
    return DisentangleResult(fmt, rel, pairs, target_table)

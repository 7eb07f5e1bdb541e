"""Semitic-advantage tests whose unit of analysis is the LANGUAGE.

Why: every model is evaluated on the same languages, and languages differ in
how much they gain for reasons other than family (``u_l`` in
:mod:`xlt.stats.simulate`). Those deviations are shared by all models, so the
model x language cells of the paper's OLS are not independent and its
p-values are far too small. Here a study with 3 Semitic and 3 control
languages has 6 observations, whatever the number of models or items.

Estimand (``language_level_test``): the difference between Semitic and
control languages in the mean, over the evaluated models, of the per-cell
*chance-corrected marginal logit gain*

    G_ml = logit((acc_ft - c)/(1 - c)) - logit((acc_base - c)/(1 - c)),

``c = 0.25``. Removing the 4-way chance floor before the logit puts gains on
the scale on which the simulator plants the bonus, and on that scale the
weak-model effect is a per-model shift that the model fixed effects remove
exactly. With heterogeneous items this is the item-averaged (marginal) logit
gain, slightly smaller than a per-item bonus (see
:func:`xlt.stats.simulate.estimand_bonus`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

__all__ = [
    "TestResult",
    "TostResult",
    "RegressionResult",
    "chance_logit",
    "cell_table",
    "language_table",
    "paper_ols",
    "language_level_test",
    "language_level_arrays",
    "paper_ols_arrays",
    "tost_equivalence",
    "relatedness_regression",
]


@dataclass(frozen=True)
class TestResult:
    """Estimate of the Semitic minus control difference, with interval and p-value."""

    __test__ = False  # not a pytest test class despite the name

    method: str
    estimate: float  # logit scale (chance-corrected), except for paper_ols (accuracy points)
    ci: tuple[float, float]
    se: float
    p_value: float
    df: float
    n_languages: int
    n_semitic: int
    n_control: int
    alpha: float
    estimate_points: float | None = None  # same contrast on the accuracy scale, in points
    ci_points: tuple[float, float] | None = None
    note: str = ""
    ref_logit: float | None = None  # level at which logits are converted to points (xlt.stats.adjusted)


def chance_logit(k: np.ndarray, n: np.ndarray | float, chance: float = 0.25) -> np.ndarray:
    """Empirical logit of the chance-corrected accuracy, vectorised.

    ``k`` correct of ``n`` -> "known" count ``(k - c n)/(1 - c)``; the +0.5 /
    +1 adjustment keeps cells at or below chance (or at 100 %) finite, with
    an O(1/n) bias that is nearly the same at baseline and after fine-tuning
    and so largely cancels in gains.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    known = np.clip((k - chance * n) / (1.0 - chance), 0.0, n)
    q = (known + 0.5) / (n + 1.0)
    return np.log(q) - np.log1p(-q)


def _cells_from_items(df: pd.DataFrame) -> pd.DataFrame:
    """Cell counts from an item-level frame; several fine-tuned runs of a cell are AVERAGED.

    A cell may hold several fine-tuned runs (seeds, or rows of several sources): ``k_ft`` is
    their mean count, ``n_runs`` their number. Summing them would count one item several times
    (accuracy above 1). Runs that do not each score the baseline's items are refused.
    """
    g = df[df["regime"].isin(["zero_shot", "finetune"])].groupby(["model", "lang", "regime"])
    agg = g["correct"].agg(["sum", "count"]).unstack("regime")
    n_base, n_ft = agg[("count", "zero_shot")], agg[("count", "finetune")]
    runs = n_ft / n_base
    if not np.allclose(runs, np.round(runs)) or (runs < 1).any():
        bad = runs[~np.isclose(runs, np.round(runs)) | (runs < 1)].index.tolist()[:3]
        raise ValueError(f"fine-tuned rows are not whole runs over the baseline's items in cells {bad}")
    out = pd.DataFrame(
        {
            "k_base": agg[("sum", "zero_shot")],
            "k_ft": agg[("sum", "finetune")] / runs,
            "n_items": n_base,
            "n_runs": runs.round().astype(int),
        }
    ).reset_index()
    sem = df.groupby("lang")["semitic"].first()
    out["semitic"] = out["lang"].map(sem).astype(bool)
    return out


def cell_table(data: pd.DataFrame, chance: float = 0.25) -> pd.DataFrame:
    """Per model x language cell: counts, accuracies, gains (points and logits).

    Accepts the item-level frame of :func:`xlt.stats.simulate.simulate` or a
    cell frame with ``model, lang, semitic, k_base, k_ft, n_items``.
    """
    cells = _cells_from_items(data) if "correct" in data.columns else data.copy()
    n = cells["n_items"].to_numpy(float)
    cells["acc_base"] = cells["k_base"] / n
    cells["acc_ft"] = cells["k_ft"] / n
    cells["gain_points"] = 100.0 * (cells["acc_ft"] - cells["acc_base"])
    cells["baseline_logit"] = chance_logit(cells["k_base"].to_numpy(), n, chance)
    cells["gain_logit"] = chance_logit(cells["k_ft"].to_numpy(), n, chance) - cells["baseline_logit"]
    return cells


def language_table(data: pd.DataFrame, chance: float = 0.25) -> pd.DataFrame:
    """One row per language: model-adjusted gains (logit and points) and baseline.

    Model fixed effects are removed with a two-way (model + language) fit on
    the cells, so a missing cell does not bias a language's mean; for a
    complete grid this equals the plain mean over models.
    """
    cells = cell_table(data, chance)
    langs = sorted(cells["lang"].unique())
    out = pd.DataFrame({"lang": langs})
    out["semitic"] = out["lang"].map(cells.groupby("lang")["semitic"].first()).astype(bool)
    for col in ("gain_logit", "gain_points", "baseline_logit"):
        out[col] = _language_effects(cells, col, langs)
    out["n_models"] = out["lang"].map(cells.groupby("lang").size()).to_numpy()
    return out


def _language_effects(cells: pd.DataFrame, col: str, langs: list[str]) -> np.ndarray:
    """Language effects from y ~ C(lang) + C(model) (no intercept), centred on the model mean."""
    L = pd.get_dummies(pd.Categorical(cells["lang"], categories=langs), dtype=float).to_numpy()
    models = sorted(cells["model"].unique())
    Mx = pd.get_dummies(pd.Categorical(cells["model"], categories=models), dtype=float).to_numpy()[:, 1:]
    X = np.hstack([L, Mx])
    beta, *_ = np.linalg.lstsq(X, cells[col].to_numpy(float), rcond=None)
    # Add back the average model effect so values are on the level of a typical model.
    return beta[: len(langs)] + np.concatenate([[0.0], beta[len(langs):]]).mean()


def _batched_ols(X: np.ndarray, y: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray, int]:
    """OLS for a batch of studies: X (S, n, k), y (S, n); coefficient ``j`` and its SE."""
    n, k = X.shape[1], X.shape[2]
    XtX = np.einsum("snk,snl->skl", X, X)
    Xty = np.einsum("snk,sn->sk", X, y)
    beta = np.linalg.solve(XtX, Xty[..., None])[..., 0]
    resid = y - np.einsum("snk,sk->sn", X, beta)
    s2 = (resid**2).sum(1) / (n - k)
    inv_jj = np.linalg.inv(XtX)[:, j, j]
    return beta[:, j], np.sqrt(s2 * inv_jj), n - k


def language_level_arrays(
    k_base: np.ndarray,
    k_ft: np.ndarray,
    n_items: int,
    semitic: np.ndarray,
    chance: float = 0.25,
    alpha: float = 0.05,
    adjust_baseline: bool = False,
    scale: str = "logit",
) -> dict[str, np.ndarray]:
    """Vectorised language-level test for complete (S, M, L) count arrays.

    Stage 1: per-cell gains averaged over models (model fixed effects cancel
    in a complete grid). Stage 2: OLS of language means on the Semitic
    indicator (+ mean baseline logit if ``adjust_baseline``), residual
    df = n_languages - 2 (or - 3): a pooled two-sample t-test on languages.
    """
    k_base = np.asarray(k_base, dtype=float)
    k_ft = np.asarray(k_ft, dtype=float)
    if k_base.ndim == 2:
        k_base, k_ft = k_base[None], k_ft[None]
    if scale == "logit":
        base = chance_logit(k_base, n_items, chance)
        gain = chance_logit(k_ft, n_items, chance) - base
    elif scale == "points":
        base = chance_logit(k_base, n_items, chance)
        gain = 100.0 * (k_ft - k_base) / n_items
    else:
        raise ValueError(f"unknown scale {scale!r}")
    y = gain.mean(1)  # (S, L)
    S, L = y.shape
    sem = np.broadcast_to(np.asarray(semitic, dtype=float), (S, L))
    cols = [np.ones((S, L)), sem]
    if adjust_baseline:
        cols.append(base.mean(1))
    X = np.stack(cols, axis=-1)
    est, se, df = _batched_ols(X, y, 1)
    t = est / se
    p = 2 * stats.t.sf(np.abs(t), df)
    q = stats.t.ppf(1 - alpha / 2, df)
    return {"estimate": est, "se": se, "df": np.full(S, df), "p_value": p, "lo": est - q * se, "hi": est + q * se}


def paper_ols_arrays(k_base: np.ndarray, k_ft: np.ndarray, n_items: int, semitic: np.ndarray) -> dict[str, np.ndarray]:
    """Vectorised reproduction of the paper's cell-level OLS (see :func:`paper_ols`)."""
    k_base = np.asarray(k_base, dtype=float)
    k_ft = np.asarray(k_ft, dtype=float)
    S, M, L = k_base.shape
    gain = 100.0 * (k_ft - k_base) / n_items
    base = 100.0 * k_base / n_items
    sem = np.broadcast_to(np.asarray(semitic, dtype=float)[None, None, :], (S, M, L))
    X = np.stack([np.ones((S, M * L)), sem.reshape(S, -1), base.reshape(S, -1)], axis=-1)
    est, se, df = _batched_ols(X, gain.reshape(S, -1), 1)
    return {"estimate": est, "se": se, "p_value": 2 * stats.t.sf(np.abs(est / se), df)}


def paper_ols(cells: pd.DataFrame, alpha: float = 0.05) -> TestResult:
    """REPRODUCTION of the paper's test (arXiv 2606.19346) -- not a valid test.

    OLS over model x language cells: ``gain_points ~ semitic + baseline_points``
    with ordinary (iid) standard errors. It treats the 42 cells as independent
    although language-level gain differences are shared by all models, so it
    rejects a true null far more often than ``alpha``. Kept to show that.
    ``cells`` may be an item-level frame or a cell frame (see :func:`cell_table`).
    """
    c = cell_table(cells) if "gain_points" not in cells.columns else cells
    X = sm.add_constant(
        pd.DataFrame({"semitic": c["semitic"].astype(float), "baseline": 100.0 * c["acc_base"]})
    )
    fit = sm.OLS(c["gain_points"].astype(float), X).fit()
    lo, hi = fit.conf_int(alpha).loc["semitic"]
    n_sem = int(c.loc[c["semitic"], "lang"].nunique())
    n_lang = int(c["lang"].nunique())
    return TestResult(
        method="paper_ols (reproduced; cells treated as independent -- invalid)",
        estimate=float(fit.params["semitic"]), ci=(float(lo), float(hi)), se=float(fit.bse["semitic"]),
        p_value=float(fit.pvalues["semitic"]), df=float(fit.df_resid), n_languages=n_lang,
        n_semitic=n_sem, n_control=n_lang - n_sem, alpha=alpha,
        estimate_points=float(fit.params["semitic"]), ci_points=(float(lo), float(hi)),
        note="estimate is in accuracy points, not logits",
    )  # fmt: skip


def _two_stage(lang: pd.DataFrame, y: str, adjust_baseline: bool, alpha: float) -> tuple[float, float, float, float, tuple[float, float]]:
    X = pd.DataFrame({"const": 1.0, "semitic": lang["semitic"].astype(float)})
    if adjust_baseline:
        X["baseline_logit"] = lang["baseline_logit"]
    fit = sm.OLS(lang[y].astype(float), X).fit()
    lo, hi = fit.conf_int(alpha).loc["semitic"]
    return float(fit.params["semitic"]), float(fit.bse["semitic"]), float(fit.pvalues["semitic"]), float(fit.df_resid), (float(lo), float(hi))


def language_level_test(
    data: pd.DataFrame, alpha: float = 0.05, adjust_baseline: bool = False, chance: float = 0.25
) -> TestResult:
    """PRIMARY test: Semitic vs control with the language as the unit.

    Two stages: (1) per-cell chance-corrected logit gains, model fixed effects
    removed, averaged per language; (2) OLS of the language means on the
    Semitic indicator (a pooled t-test, df = n_languages - 2; with
    ``adjust_baseline`` the language's mean baseline logit is added, df - 1).
    Exact under normal, homoscedastic language effects; the language-level
    noise (shared by all models) is in the residual variance by construction.
    The same contrast on the accuracy scale is reported in points.
    """
    lang = language_table(data, chance)
    est, se, p, df, ci = _two_stage(lang, "gain_logit", adjust_baseline, alpha)
    est_pt, _, _, _, ci_pt = _two_stage(lang, "gain_points", adjust_baseline, alpha)
    n_sem = int(lang["semitic"].sum())
    if n_sem == 0 or n_sem == len(lang):
        raise ValueError("need both Semitic and control languages")
    return TestResult(
        method="language-level two-stage t-test (chance-corrected logit gains, model FE)"
        + (" + baseline" if adjust_baseline else ""),
        estimate=est, ci=ci, se=se, p_value=p, df=df, n_languages=len(lang), n_semitic=n_sem,
        n_control=len(lang) - n_sem, alpha=alpha, estimate_points=est_pt, ci_points=ci_pt,
    )  # fmt: skip


@dataclass(frozen=True)
class TostResult:
    """Two one-sided tests for |Semitic advantage| < margin."""

    margin: float
    estimate: float
    se: float
    df: float
    p_lower: float  # H0: effect <= -margin
    p_upper: float  # H0: effect >= +margin
    p_value: float  # max of the two
    equivalent: bool
    ci_90: tuple[float, float]  # (1 - 2 alpha) interval; inside +-margin <=> equivalent
    alpha: float


def tost_equivalence(result: TestResult, margin: float = 0.25, alpha: float = 0.05) -> TostResult:
    """TOST for "no Semitic advantage" on a language-level estimate.

    ``margin`` is on the scale of ``result.estimate`` (default 0.25 logits,
    roughly 4-5 accuracy points near 70 % accuracy). Equivalence is claimed
    when both one-sided tests reject at ``alpha``.
    """
    if margin <= 0:
        raise ValueError("margin must be positive")
    est, se, df = result.estimate, result.se, result.df
    p_lower = float(stats.t.sf((est + margin) / se, df))
    p_upper = float(stats.t.cdf((est - margin) / se, df))
    q = stats.t.ppf(1 - alpha, df)
    p = max(p_lower, p_upper)
    return TostResult(
        margin=margin, estimate=est, se=se, df=df, p_lower=p_lower, p_upper=p_upper, p_value=p,
        equivalent=p < alpha, ci_90=(est - q * se, est + q * se), alpha=alpha,
    )  # fmt: skip


@dataclass(frozen=True)
class RegressionResult:
    """Slope of language-level gain on a continuous language predictor."""

    predictor: str
    slope: float
    ci: tuple[float, float]
    se: float
    p_value: float
    df: float
    n_languages: int
    method: str


def relatedness_regression(
    lang_table: pd.DataFrame,
    y: str = "gain_logit",
    x: str = "relatedness",
    covariates: tuple[str, ...] = (),
    alpha: float = 0.05,
) -> RegressionResult:
    """OLS of per-language (model-adjusted) gain on a relatedness score.

    ``lang_table`` has one row per target language (e.g. from
    :func:`language_table`) plus a column ``x`` such as URIEL similarity to the
    fine-tuning source in [0, 1]. One row per language keeps the language as
    the unit; df = n_languages - 2 - len(covariates).
    """
    X = sm.add_constant(lang_table[[x, *covariates]].astype(float))
    fit = sm.OLS(lang_table[y].astype(float), X).fit()
    lo, hi = fit.conf_int(alpha).loc[x]
    return RegressionResult(
        predictor=x, slope=float(fit.params[x]), ci=(float(lo), float(hi)), se=float(fit.bse[x]),
        p_value=float(fit.pvalues[x]), df=float(fit.df_resid), n_languages=len(lang_table),
        method="language-level OLS on relatedness",
    )  # fmt: skip

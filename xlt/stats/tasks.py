"""Does relatedness matter more for one task than for another? Slopes of language-level gain on
relatedness per task, and their difference.

Data: one row per task x target LANGUAGE (the language is the unit, as in the primary test): the
model-adjusted chance-corrected logit gain of that language (chance = 1/K of each task, so a 4-way
and a 7-way task are on the same chance-free scale) and its relatedness to the fine-tuning source
(e.g. URIEL similarity in [0, 1]).

Model: ``gain ~ task + relatedness + task:relatedness`` (OLS on the stacked rows; the reference
task is the baseline level). Each task's slope is its own line; the interaction coefficient is the
difference of slopes (other - reference). Standard errors are HC3 (MacKinnon & White 1985), with a
t reference distribution on the residual df (n - 2 x tasks):

* why robust and not the pooled iid OLS variance: the tasks' language-level gains have different
  noise (different K, accuracy levels and item counts), and a pooled residual variance would give
  the noisier task's slope the quieter task's precision and vice versa; HC3 estimates each row's own
  variance and is the heteroskedasticity-consistent choice that keeps its size in small samples
  (Long & Ervin 2000). Because the stacked design is block-diagonal by task, the HC3 variance of the
  difference is exactly the sum of the two tasks' own HC3 slope variances.
* why not a permutation: under "equal slopes" the tasks may still differ in level and in noise, so
  task labels are not exchangeable and a label permutation would test a different (stronger) null.
* the same language usually appears in both tasks (same source, same target: same relatedness). A
  transferability it carries into both tasks cancels in the difference of slopes but is counted in
  both tasks' variances, so the interval is then conservative, never anti-conservative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

__all__ = ["TaskSlopes", "task_slopes", "MIN_LANGUAGES"]

MIN_LANGUAGES = 4  # per task: a slope with HC3 from 3 points has 1 df and leverages near 1

METHOD = "OLS gain ~ task * relatedness over task x language rows, HC3 SEs, t on residual df"


@dataclass(frozen=True)
class TaskSlopes:
    """Per-task slopes and the differences from the reference task (tables, one row each)."""

    slopes: pd.DataFrame  # task, slope, ci_low, ci_high, se, p_value, df, n_languages
    differences: pd.DataFrame  # task, reference, difference, ci_low, ci_high, se, t, p_value, df, n_languages
    reference: str
    method: str = METHOD

    def difference(self, task: str) -> pd.Series:
        """The row of ``task`` - reference."""
        return self.differences.set_index("task").loc[task]


def _hc3_fit(y: np.ndarray, X: np.ndarray):
    return sm.OLS(y, X).fit(cov_type="HC3", use_t=True)


def task_slopes(data: pd.DataFrame, y: str = "gain_logit", x: str = "relatedness", task: str = "task",
                reference: str | None = None, alpha: float = 0.05) -> TaskSlopes:
    """Slope of ``y`` on ``x`` per task and each task's difference from ``reference`` (first task by
    default), from one stacked OLS with a task main effect and task x relatedness interactions.

    ``data``: one row per task x language (rows with a missing ``x`` or ``y`` are left out). Raises
    ValueError when a task has fewer than :data:`MIN_LANGUAGES` languages or no spread in ``x``.
    """
    d = data[[task, x, y]].dropna()
    tasks = list(dict.fromkeys(data[task]))
    if reference is None:
        reference = tasks[0]
    if reference not in tasks:
        raise ValueError(f"reference task {reference!r} not in the data ({', '.join(map(str, tasks))})")
    if len(tasks) < 2:
        raise ValueError("needs >= 2 tasks")
    for t in tasks:
        g = d[d[task] == t]
        if len(g) < MIN_LANGUAGES or g[x].nunique() < 2:
            raise ValueError(f"task {t}: needs >= {MIN_LANGUAGES} languages with known, varying {x} "
                             f"(have {len(g)}, {g[x].nunique()} distinct)")
    others = [t for t in tasks if t != reference]
    xs = d[x].to_numpy(float)
    cols, names = [np.ones(len(d)), xs], ["const", "slope"]
    for t in others:
        ind = (d[task] == t).to_numpy(float)
        cols += [ind, ind * xs]
        names += [f"level:{t}", f"diff:{t}"]
    X = np.column_stack(cols)
    fit = _hc3_fit(d[y].to_numpy(float), X)
    params, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    df = float(fit.df_resid)
    from scipy import stats

    q = float(stats.t.ppf(1 - alpha / 2, df))
    n_of = d.groupby(task).size()
    idx = {n: i for i, n in enumerate(names)}
    slopes, diffs = [], []
    for t in tasks:
        # each task's own line: its slope from a fit on its rows alone (the same estimate and HC3
        # variance as the stacked model's, which is block-diagonal by task), t on that fit's df
        g = d[d[task] == t]
        own = _hc3_fit(g[y].to_numpy(float), sm.add_constant(g[x].to_numpy(float), has_constant="add"))
        lo, hi = own.conf_int(alpha)[1]
        slopes.append({"task": t, "slope": float(own.params[1]), "ci_low": float(lo), "ci_high": float(hi),
                       "se": float(own.bse[1]), "p_value": float(own.pvalues[1]), "df": float(own.df_resid),
                       "n_languages": int(n_of[t])})
    for t in others:
        j = idx[f"diff:{t}"]
        est, se = float(params[j]), float(np.sqrt(cov[j, j]))
        tval = est / se if se > 0 else float("nan")
        p = float(2 * stats.t.sf(abs(tval), df)) if se > 0 else float("nan")
        diffs.append({"task": t, "reference": reference, "difference": est, "ci_low": est - q * se,
                      "ci_high": est + q * se, "se": se, "t": tval, "p_value": p, "df": df,
                      "n_languages": int(n_of[t] + n_of[reference])})
    return TaskSlopes(pd.DataFrame(slopes), pd.DataFrame(diffs), reference)

"""The cross-task section of a sweep over several tasks: does relatedness matter more for topic
classification (SIB-200) than for reading comprehension (Belebele)?

Reads each task's language-level gains (the primary test's language table: model-adjusted,
chance-corrected logit gains with chance = 1/K of the task, one row per transfer target, for each
fine-tuning source x regime) and compares, per source x regime that both tasks ran, the slopes of
gain on URIEL relatedness (:func:`xlt.stats.tasks.task_slopes`).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from xlt.report.html import Section  # noqa: E402
from xlt.stats.tasks import MIN_LANGUAGES, task_slopes  # noqa: E402

KEY = "task_relatedness"
WHAT = {"belebele": "reading comprehension (Belebele, 4-way)", "sib200": "topic classification (SIB-200, 7-way)"}
REFERENCE = "belebele"  # differences are other task - Belebele when Belebele is in the sweep


def _stacked(langs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    frames = [df.assign(task=t) for t, df in langs.items() if not df.empty]
    if not frames:
        return pd.DataFrame()
    cols = ["task", "source", "regime", "lang", "semitic", "relatedness", "gain_logit", "gain_points", "n_models"]
    return pd.concat(frames, ignore_index=True)[cols]


def estimate(langs: dict[str, pd.DataFrame], alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                            pd.DataFrame, list[str]]:
    """(slopes, differences, the language rows used, what could not be estimated) over every fine-tuning
    source x regime that at least two tasks ran."""
    data = _stacked(langs)
    missing: list[str] = []
    if data.empty:
        return pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), [
            "needs language-level gains (a trained regime with a zero_shot baseline) in >= 2 tasks"]
    slopes, diffs, used = [], [], []
    tasks_of = data.groupby(["source", "regime"], sort=False)["task"].unique()
    for (source, regime), ts in tasks_of.items():
        if len(ts) < 2:
            missing.append(f"[{source}/{regime}] only in task {ts[0]}: the slopes are compared per fine-tuning "
                           "source and regime that >= 2 tasks ran")
            continue
        g = data[(data["source"] == source) & (data["regime"] == regime)]
        ref = REFERENCE if REFERENCE in set(ts) else ts[0]
        try:
            res = task_slopes(g, reference=ref, alpha=alpha)
        except ValueError as err:
            missing.append(f"[{source}/{regime}] {err}")
            continue
        slopes.append(res.slopes.assign(source=source, regime=regime))
        diffs.append(res.differences.assign(source=source, regime=regime, method=res.method))
        used.append(g)
    cat = lambda fs: pd.concat(fs, ignore_index=True) if fs else pd.DataFrame()  # noqa: E731
    front = lambda df: df[["source", "regime", *[c for c in df.columns if c not in ("source", "regime")]]] \
        if not df.empty else df  # noqa: E731
    return front(cat(slopes)), front(cat(diffs)), cat(used), missing


def figure(used: pd.DataFrame) -> bytes | None:
    """Language-level gain (logits) vs relatedness, one colour and OLS line per task, a panel per comparison."""
    if used.empty:
        return None
    groups = list(used.groupby(["source", "regime"], sort=False))
    fig, axes = plt.subplots(1, len(groups), figsize=(5.4 * len(groups), 4.2), squeeze=False)
    colors = dict(zip(dict.fromkeys(used["task"]), ("#2c7fb8", "#d95f02", "#1b9e77", "#7570b3")))
    for ax, ((source, regime), g) in zip(axes[0], groups):
        for task, t in g.dropna(subset=["relatedness", "gain_logit"]).groupby("task", sort=False):
            ax.scatter(t["relatedness"], t["gain_logit"], color=colors.get(task, "grey"), s=30, label=task)
            if len(t) >= 2 and t["relatedness"].std() > 0:
                slope, icpt = np.polyfit(t["relatedness"], t["gain_logit"], 1)
                xs = np.linspace(t["relatedness"].min(), t["relatedness"].max(), 20)
                ax.plot(xs, icpt + slope * xs, color=colors.get(task, "grey"), lw=1)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set(xlabel="URIEL relatedness to the source (1 - fam distance)",
               ylabel="gain (chance-corrected logits, model-adjusted)", title=f"{regime} from {source}")
        ax.legend(fontsize=7)
    fig.suptitle("Relatedness vs gain per task (one point per transfer language)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _answer(slopes: pd.DataFrame, diffs: pd.DataFrame, alpha: float) -> list[str]:
    out = []
    for _, d in diffs.iterrows():
        s = slopes[(slopes["source"] == d["source"]) & (slopes["regime"] == d["regime"])].set_index("task")
        per = "; ".join(f"{t} {r['slope']:+.2f} logits per unit relatedness ({1 - alpha:.0%} CI {r['ci_low']:+.2f} "
                        f"to {r['ci_high']:+.2f}, {int(r['n_languages'])} languages)"
                        for t, r in s.loc[[d["reference"], d["task"]]].iterrows())
        verdict = ("relatedness matters more for " + d["task"] if d["difference"] > 0 else
                   "relatedness matters less for " + d["task"]) + f" than for {d['reference']}" \
            if d["p_value"] < alpha else "no difference between the tasks' slopes was detected"
        out.append(f"[{d['regime']} from {d['source']}] Slopes: {per}. Difference ({d['task']} - {d['reference']}) "
                   f"{d['difference']:+.2f} (CI {d['ci_low']:+.2f} to {d['ci_high']:+.2f}), p = {d['p_value']:.3g}, "
                   f"df = {d['df']:.0f}: {verdict}.")
    return out


def section(langs: dict[str, pd.DataFrame], alpha: float = 0.05) -> Section:
    """The task_relatedness section: each task's slope of gain on relatedness, and their difference."""
    tasks = [t for t in langs]
    s = Section(KEY, "Across tasks: does relatedness matter more for topic classification than for reading "
                "comprehension?", [
                    "Tasks: " + "; ".join(WHAT.get(t, t) for t in tasks) + ". For each fine-tuning source x regime "
                    "that several tasks ran, the language-level gains of each task's primary analysis (per transfer "
                    "language: chance-corrected logit gain, chance = 1/K of the task so a 4-way and a 7-way task are on "
                    "the same chance-free scale, averaged over models after removing model effects) are regressed on "
                    "URIEL relatedness to the source: one slope per task, and the difference of slopes from one OLS "
                    "gain ~ task + relatedness + task x relatedness over the task x language rows (the language is the "
                    "unit; models, seeds and items are inside a language's gain).",
                    "Why HC3 standard errors (t on the residual df = rows - 2 x tasks) and not the pooled OLS variance "
                    "or a permutation: the tasks' language gains have different noise (different K, accuracy levels and "
                    "item counts), so a pooled residual variance would misstate each task's precision; HC3 is the "
                    "heteroskedasticity-robust variance that keeps its size in samples this small. A permutation of "
                    "task labels would need the tasks to be exchangeable under the null, which different levels and "
                    "noise rule out. A language in both tasks has the same relatedness in both; a transferability it "
                    "carries into both cancels in the difference but is counted in both variances, so the interval is "
                    "then conservative. Simulated operating characteristics: tests/stats/test_tasks.py.",
                    f"Each task needs >= {MIN_LANGUAGES} transfer languages with known, varying relatedness."])
    slopes, diffs, used, missing = estimate(langs, alpha)
    s.missing += missing
    s.paragraphs += ["Answer: " + a for a in _answer(slopes, diffs, alpha)]
    if not slopes.empty:
        s.tables[f"{KEY}_slopes"] = slopes
        s.tables[f"{KEY}_difference"] = diffs
        s.tables[f"{KEY}_languages"] = used
        png = figure(used)
        if png:
            s.figures[KEY] = png
    return s

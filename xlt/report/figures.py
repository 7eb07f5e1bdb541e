"""Report figures (matplotlib, Agg): each function returns PNG bytes, or None when there is no data."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SEMITIC_COLOR, CONTROL_COLOR = "#c0392b", "#2c7fb8"


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _comparisons(df: pd.DataFrame) -> list[tuple[tuple[str, str], pd.DataFrame]]:
    return list(df.groupby(["source", "regime"], sort=False))


def _title(source: str, regime: str) -> str:
    return f"{regime} (source {source})" if source != "-" else f"{regime} (no training)"


def baseline_vs_gain(cells: pd.DataFrame) -> bytes | None:
    """Per comparison: baseline accuracy vs gain per model × language; large markers are model means,
    so weak models (left) and strong models (right) can be compared."""
    if cells.empty:
        return None
    groups = _comparisons(cells)
    fig, axes = plt.subplots(1, len(groups), figsize=(5.2 * len(groups), 4.2), squeeze=False)
    models = list(dict.fromkeys(cells.sort_values("acc_base")["model"]))
    colors = dict(zip(models, plt.cm.viridis(np.linspace(0.05, 0.9, max(len(models), 1)))))
    for ax, ((source, regime), g) in zip(axes[0], groups):
        for model, m in g.groupby("model", sort=False):
            for sem, marker in ((True, "^"), (False, "o")):
                s = m[m["semitic"] == sem]
                ax.scatter(100 * s["acc_base"], s["gain_points"], color=colors[model], marker=marker, s=28, alpha=0.75)
            ax.scatter(100 * m["acc_base"].mean(), m["gain_points"].mean(), color=colors[model], s=160,
                       edgecolor="black", label=model, zorder=3)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set(xlabel="baseline accuracy (%)", ylabel="gain (points)", title=_title(source, regime))
    axes[0][0].legend(title="model (mean)", fontsize=7)
    fig.suptitle("Baseline vs gain per model (triangles: Semitic targets)")
    return _png(fig)


def gains_by_family(gains: pd.DataFrame) -> bytes | None:
    """Per-language paired gains with 95 % intervals, languages grouped by family (Semitic first);
    one marker per model and seed."""
    if gains.empty:
        return None
    groups = _comparisons(gains)
    fig, axes = plt.subplots(len(groups), 1, figsize=(max(7.0, 0.55 * gains["target"].nunique() + 3), 3.6 * len(groups)),
                             squeeze=False)
    for ax, ((source, regime), g) in zip(axes[:, 0], groups):
        order = (g[["target", "family", "semitic"]].drop_duplicates("target")
                 .sort_values(["semitic", "family", "target"], ascending=[False, True, True]))
        pos = {t: i for i, t in enumerate(order["target"])}
        series = list(g.groupby(["model", "seed"], sort=False, dropna=False))
        width = 0.7 / max(len(series), 1)
        for j, ((model, seed), s) in enumerate(series):
            x = s["target"].map(pos).to_numpy() - 0.35 + width * (j + 0.5)
            err = [s["gain_points"] - s["ci_low_points"], s["ci_high_points"] - s["gain_points"]]
            label = model if pd.isna(seed) else f"{model} s{seed}"
            ax.errorbar(x, s["gain_points"], yerr=err, fmt="o", ms=4, capsize=2, label=label)
        for fam, f in order.groupby("family", sort=False):
            xs = [pos[t] for t in f["target"]]
            ax.axvspan(min(xs) - 0.5, max(xs) + 0.5, color=SEMITIC_COLOR if f["semitic"].any() else CONTROL_COLOR,
                       alpha=0.06)
            ax.text(np.mean(xs), 1.01, fam, transform=ax.get_xaxis_transform(), ha="center", fontsize=7)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xticks(range(len(pos)), list(pos), rotation=60, fontsize=7)
        ax.set_ylabel("gain (points, 95 % CI)")
        ax.set_title(_title(source, regime), pad=14)
        ax.legend(fontsize=6, ncol=4)
    fig.tight_layout()
    return _png(fig)


def relatedness_vs_gain(languages: pd.DataFrame) -> bytes | None:
    """Language-level (model-adjusted) gain vs URIEL relatedness to the source, per comparison."""
    if languages.empty or languages["relatedness"].notna().sum() < 2:
        return None
    groups = _comparisons(languages)
    fig, axes = plt.subplots(1, len(groups), figsize=(5.2 * len(groups), 4.2), squeeze=False)
    for ax, ((source, regime), g) in zip(axes[0], groups):
        g = g.dropna(subset=["relatedness"])
        colors = np.where(g["semitic"], SEMITIC_COLOR, CONTROL_COLOR)
        ax.scatter(g["relatedness"], g["gain_points"], c=colors, s=30)
        for _, r in g.iterrows():
            ax.annotate(r["lang"], (r["relatedness"], r["gain_points"]), fontsize=6, xytext=(3, 2),
                        textcoords="offset points")
        if len(g) >= 3 and g["relatedness"].std() > 0:
            slope, icpt = np.polyfit(g["relatedness"], g["gain_points"], 1)
            xs = np.linspace(g["relatedness"].min(), g["relatedness"].max(), 20)
            ax.plot(xs, icpt + slope * xs, color="black", lw=1)
        ax.set(xlabel="URIEL relatedness to the source (1 - fam distance)", ylabel="gain (points, model-adjusted)",
               title=_title(source, regime))
    fig.suptitle("Relatedness vs gain (red: Semitic)")
    return _png(fig)


def cot_vs_finetune(both: pd.DataFrame) -> bytes | None:
    """CoT gain vs fine-tuning gain over model × language cells."""
    if both.empty:
        return None
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    for model, m in both.groupby("model", sort=False):
        ax.scatter(m["finetune_gain"], m["cot_gain"], label=model, s=26)
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set(xlabel="fine-tuning gain (points)", ylabel="CoT gain (points)", title="CoT vs fine-tuning gains")
    ax.legend(fontsize=7)
    return _png(fig)


def power_curve(curve: pd.DataFrame, alpha: float = 0.05) -> bytes | None:
    """Simulated power of the primary test against the planted Semitic bonus."""
    if curve.empty:
        return None
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    ax.plot(curve["bonus_logit"], curve["power"], marker="o")
    ax.axhline(0.8, color="grey", ls="--", lw=0.8)
    ax.axhline(alpha, color="grey", ls=":", lw=0.8)
    ax.set(xlabel="Semitic bonus (logit)", ylabel="power", ylim=(0, 1.02), title="Design: power of the primary test")
    return _png(fig)

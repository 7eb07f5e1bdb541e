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
    ax.plot(curve["bonus_points"], curve["power"], marker="o")
    ax.axhline(0.8, color="grey", ls="--", lw=0.8)
    ax.axhline(alpha, color="grey", ls=":", lw=0.8)
    ax.set(xlabel="Semitic bonus (accuracy points)", ylabel="power", ylim=(0, 1.02), title="Design: power of the primary test")
    return _png(fig)


def central(cells: pd.DataFrame, max_panels: int = 3, chance: float = 0.25) -> bytes | None:
    """The paper's central picture: gain against baseline per model (one colour each, cells joined
    in baseline order), Semitic targets filled triangles, controls open circles; chance dotted."""
    trained = cells[cells["source"] != "-"] if not cells.empty else cells
    if trained.empty:
        return None
    groups = _comparisons(trained)[:max_panels]
    fig, axes = plt.subplots(1, len(groups), figsize=(6.0 * len(groups), 3.9), squeeze=False)
    models = list(dict.fromkeys(trained.groupby("model")["acc_base"].mean().sort_values().index))
    colors = dict(zip(models, plt.cm.viridis(np.linspace(0.05, 0.85, max(len(models), 1)))))
    for ax, ((source, regime), g) in zip(axes[0], groups):
        for model in models:
            m = g[g["model"] == model].sort_values("acc_base")
            if m.empty:
                continue
            ax.plot(100 * m["acc_base"], m["gain_points"], color=colors[model], lw=0.8, alpha=0.5)
            sem, ctl = m[m["semitic"]], m[~m["semitic"]]
            ax.scatter(100 * sem["acc_base"], sem["gain_points"], marker="^", s=46, color=colors[model],
                       edgecolor="black", linewidth=0.4, zorder=3)
            ax.scatter(100 * ctl["acc_base"], ctl["gain_points"], marker="o", s=40, facecolor="white",
                       edgecolor=colors[model], linewidth=1.4, zorder=3, label=model)
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(100 * chance, color="grey", lw=0.8, ls=":")
        ax.set(xlabel="baseline accuracy (%)", ylabel="gain (points)", title=_title(source, regime))
    h = [plt.Line2D([], [], marker="^", ls="", color="grey", markeredgecolor="black", label="Semitic target"),
         plt.Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor="grey", label="control target")]
    h += [plt.Line2D([], [], color=colors[m], lw=3, label=m) for m in models]
    axes[0][-1].legend(handles=h, fontsize=7, loc="best", framealpha=0.8)
    fig.tight_layout()
    return _png(fig)


def label_bias(shares: pd.DataFrame, labels: list[str]) -> bytes | None:
    """Left: predicted-label distribution per model x regime (pooled over languages) beside the gold
    distribution; right: share of the most frequent label per model x regime x language."""
    if shares.empty:
        return None
    rows = shares.assign(row=shares["model"] + " / " + shares["regime"]
                         + np.where(shares["source"] == "-", "", " from " + shares["source"]))
    cols = [f"share_{lab}" for lab in labels]
    pooled = rows.groupby("row", sort=False).apply(lambda g: np.average(g[cols], axis=0, weights=g["n"]))
    gold = np.average(rows[[f"gold_share_{lab}" for lab in labels]], axis=0, weights=rows["n"])
    names = ["gold"] + list(pooled.index)
    mat = np.vstack([gold] + list(pooled.to_numpy()))
    heat = rows.pivot_table(index="row", columns="lang", values="top_share", sort=False)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 0.45 * len(names) + 2.2),
                                 gridspec_kw={"width_ratios": [1, 1.6]})
    left = np.zeros(len(names))
    palette = plt.cm.tab10(np.arange(len(labels)) % 10)
    for j, lab in enumerate(labels):
        a1.barh(names, mat[:, j], left=left, color=palette[j], label=f"label {lab}")
        left += mat[:, j]
    a1.invert_yaxis()
    a1.set(xlim=(0, 1), xlabel="share of predictions", title="predicted labels (pooled over languages)")
    a1.legend(fontsize=7, ncol=min(len(labels), 4), loc="lower center", bbox_to_anchor=(0.5, 1.08))
    im = a2.imshow(heat.to_numpy(float), vmin=1 / len(labels), vmax=1, cmap="magma_r", aspect="auto")
    a2.set_yticks(range(len(heat.index)), heat.index, fontsize=7)
    a2.set_xticks(range(len(heat.columns)), heat.columns, rotation=60, fontsize=7)
    a2.set_title("share of the most frequent label (1 = always the same answer)")
    fig.colorbar(im, ax=a2, fraction=0.03)
    fig.tight_layout()
    return _png(fig)

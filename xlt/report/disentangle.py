"""The source x target section (issue #7): how much of a fine-tuning gain is relatedness, how much format?

Design (``experiment=disentangle``): several fine-tuning sources x the same target panel x regimes
``zero_shot`` (baseline), ``finetune`` (real items) and ``finetune_format`` (the same items with
unrelated passages: format and label prior, no reading comprehension). Estimation is delegated to
:func:`xlt.stats.disentangle` on chance-corrected logits, which the statistician calibrated:

* format effect = L(finetune_format) - L(zero_shot) per model x target, averaged over models, with
  a t-interval over target languages. ``finetune_format`` is pooled over sources and seeds (it is meant
  to carry no source-specific content), leaving out sources whose variants include the target.
* relatedness effect = slope of L(finetune) - L(finetune_format) on a relatedness predictor over
  (source, target) pairs with source and target fixed effects, SEs clustered by target. Target fixed
  effects absorb each target's baseline accuracy (and format gain), so the effect is identified only
  by comparing sources on the same target: "controlling for baseline accuracy" by design. Predictors:
  same genus (0/1), same family (0/1), URIEL similarity (1 - 'fam' distance, per unit).

In-language pairs (target among the source's variants, e.g. arb_Arab for lang=ar) are shown in the
heatmap but never enter an estimate: they measure in-language learning, not transfer.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from xlt.languages import LANGUAGES  # noqa: E402
from xlt.report.html import Section  # noqa: E402
from xlt.stats.adjusted import logit_to_points  # noqa: E402

BASE, FT, FMT = "zero_shot", "finetune", "finetune_format"
CHANCE = 0.25  # default: Belebele's 4 options; a task with K labels passes 1/K
# (row label, column of the pair table, disentangle predictor, what one unit means)
PREDICTORS = (("genus", "related_genus", "related", "related - unrelated pairs (same genus, WALS)"),
              ("family", "related_family", "related", "related - unrelated pairs (same family)"),
              ("uriel", "uriel", "relatedness", "per unit of URIEL similarity (1 - 'fam' distance)"))
MIN_TARGETS = 3  # clusters: fewer makes a cluster-robust interval meaningless (df = targets - 1)


@dataclass
class Disentangled:
    """Everything the section shows: effects, per-pair gains, the gain matrix, and what was not estimable."""

    effects: pd.DataFrame
    pairs: pd.DataFrame
    matrix: pd.DataFrame
    missing: list[str] = field(default_factory=list)
    answer: str = ""


def applies(conds: pd.DataFrame) -> bool:
    """True when a sweep has the design: a format-only regime, or at least two fine-tuning sources."""
    if conds.empty:
        return False
    sources = conds.loc[conds["source"].notna(), "source"].nunique()
    return bool((conds["regime"] == FMT).any() or sources >= 2)


def pair_attributes(variants: tuple[str, ...], target: str) -> dict[str, float | bool]:
    """Genus / family relatedness of a target to a source (any of its variants), and in-language."""
    t = LANGUAGES.get(target)
    vs = [LANGUAGES[v] for v in variants if v in LANGUAGES]
    if t is None or not vs:
        return {"in_language": target in variants, "related_genus": math.nan, "related_family": math.nan}
    return {"in_language": target in variants,
            "related_genus": float(any(v.genus == t.genus for v in vs)),
            "related_family": float(any(v.family == t.family for v in vs))}


def _counts(acc: pd.DataFrame, conds: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]], list[str]]:
    """Accuracy rows of the regimes of this design, as counts, on one set of held-out items."""
    notes: list[str] = []
    keep = ["condition", "data_key", "source_variants"]
    a = acc.merge(conds[keep], on="condition", how="inner")
    a = a[a["regime"].isin([BASE, FT, FMT])]
    if a["data_key"].nunique() > 1:  # different data settings score different items: never mix them
        key = a["data_key"].value_counts().index[0]
        notes.append(f"{int((a['data_key'] != key).sum())} accuracy rows with other data settings left out")
        a = a[a["data_key"] == key]
    a = a.assign(n_correct=(a["accuracy"] * a["n"]).round().astype(int), source=a["source"].fillna("-"))
    variants = {s: tuple(v) for s, v in zip(a["source"], a["source_variants"]) if s != "-"}
    return a, variants, notes


def _gain_points(a: pd.DataFrame) -> pd.DataFrame:
    """Per (model, regime, source, target): accuracy gain over the model's zero_shot, in points (seed mean)."""
    base = a[a["regime"] == BASE].groupby(["model", "target"])["accuracy"].mean().rename("acc_base")
    tr = a[a["regime"].isin([FT, FMT])].join(base, on=["model", "target"], how="inner")
    tr = tr.assign(gain=100 * (tr["accuracy"] - tr["acc_base"]))
    return tr.groupby(["model", "regime", "source", "target"], as_index=False, sort=False)["gain"].mean()


def _matrix(g: pd.DataFrame, targets: list[str]) -> pd.DataFrame:
    """Rows (model | mean, regime, source) x target columns: mean gain in points; per-model rows if > 1 model."""
    def wide(df: pd.DataFrame) -> pd.DataFrame:
        w = df.pivot_table(index=["regime", "source"], columns="target", values="gain", aggfunc="mean", sort=False)
        return w.reindex(columns=[t for t in targets if t in w.columns]).reset_index()

    order = {FT: 0, FMT: 1}
    g = g.sort_values("regime", key=lambda r: r.map(order), kind="stable")  # finetune rows first
    parts = [wide(g).assign(model="mean")]
    if g["model"].nunique() > 1:
        parts += [wide(m).assign(model=name) for name, m in g.groupby("model", sort=False)]
    out = pd.concat(parts, ignore_index=True)
    out.columns.name = None  # else the pivot's "target" label becomes an extra header cell in HTML
    return out[["model", "regime", "source", *[c for c in out.columns if c not in ("model", "regime", "source")]]]


def _pairs(g: pd.DataFrame, variants: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    from xlt.report.uriel import relatedness_map

    mean = g.groupby(["regime", "source", "target"], sort=False)["gain"].mean().unstack("regime")
    targets = list(dict.fromkeys(g["target"]))
    uriel = {s: relatedness_map(variants[s], targets) for s in dict.fromkeys(g["source"])}  # one cache read each
    rows = []
    for (source, target), r in mean.iterrows():
        attrs = pair_attributes(variants[source], target)
        rows.append({"source": source, "target": target, **attrs, "uriel": uriel[source][target],
                     "gain_points": r.get(FT, math.nan), "format_gain_points": r.get(FMT, math.nan),
                     "beyond_format_points": r.get(FT, math.nan) - r.get(FMT, math.nan)})
    return pd.DataFrame(rows)


def _stats_frame(a: pd.DataFrame, pairs: pd.DataFrame, variants: dict[str, tuple[str, ...]], col: str,
                 predictor: str) -> pd.DataFrame:
    """One row per condition x target, in the shape :func:`xlt.stats.disentangle` reads.

    Counts are never pooled across conditions: the chance-corrected logit has an O(1/n) floor
    adjustment that cancels in a difference only when both cells have the same n. disentangle() turns
    each row into a logit and AVERAGES logits over duplicates (seeds; the format-only runs of several
    sources, which all become the source-free format reference).
    """
    def cells(df: pd.DataFrame, regime: str) -> pd.DataFrame:
        return df[["model", "source", "target", "n_correct", "n"]].rename(columns={"n": "n_items"}).assign(regime=regime)

    base = cells(a[a["regime"] == BASE], BASE).assign(source=None)
    fmt_rows = a[a["regime"] == FMT]
    fmt_rows = fmt_rows[[t not in variants[s] for s, t in zip(fmt_rows["source"], fmt_rows["target"])]]
    # no format-only runs: zero_shot is the reference (the target effects absorb it either way)
    fmt = base.assign(regime=FMT) if fmt_rows.empty else cells(fmt_rows, FMT).assign(source=None)
    ft = cells(a[a["regime"] == FT], FT)
    use = pairs.loc[~pairs["in_language"] & pairs[col].notna(), ["source", "target", col]]
    ft = ft.merge(use.rename(columns={col: predictor}), on=["source", "target"], how="inner")
    other = "relatedness" if predictor == "related" else "related"
    ft[other] = np.nan
    # A target with one transfer source carries no within-target contrast but would still count as a
    # cluster (df = targets - 1): leave it out of the relatedness fit.
    n_src = ft.groupby("target")["source"].nunique()
    ft = ft[ft["target"].map(n_src) >= 2]
    out = pd.concat([base, fmt], ignore_index=True).assign(related=np.nan, relatedness=np.nan)
    if not ft.empty:
        # disentangle() takes its cluster count (G, df = G - 1, the CR1 factor) from the targets of the
        # zero_shot/format rows: keep exactly the relatedness fit's targets there, or G is overstated.
        out = out[out["target"].isin(set(ft["target"]))]
    return pd.concat([out, ft], ignore_index=True)


def _identified(ft: pd.DataFrame, predictor: str) -> bool:
    """Whether the predictor varies beyond source and target fixed effects (else the slope is not defined)."""
    p = ft.drop_duplicates(["source", "target"])
    fe = pd.concat([pd.get_dummies(p["source"], drop_first=True, dtype=float),
                    pd.get_dummies(p["target"], dtype=float)], axis=1).to_numpy()
    full = np.column_stack([fe, p[predictor].to_numpy(float)])
    r_fe, r_full = np.linalg.matrix_rank(fe), np.linalg.matrix_rank(full)
    return bool(r_full > r_fe and len(p) > r_full)


def _format_effect(a: pd.DataFrame, pairs: pd.DataFrame, variants: dict[str, tuple[str, ...]], alpha: float,
                   chance: float = CHANCE):
    """(:func:`xlt.stats.disentangle.format_effect` of the sweep, or None if < 2 targets have both regimes;
    number of such targets).

    Called alone rather than through disentangle(), which always fits the relatedness half as well and
    fails when a sweep has no identifiable relatedness contrast (one source, or only related sources).
    """
    from xlt.stats.disentangle import format_effect, matrix_cells

    frame = _stats_frame(a, pairs.assign(none=np.nan), variants, "none", "related")  # no finetune rows
    est, _ = format_effect(matrix_cells(frame[frame["regime"] != FT], chance), alpha)
    return (est if est.n_clusters >= 2 else None), est.n_clusters


def _row(name: str, contrast: str, est, ref_logit: float, n_pairs: int, chance: float = CHANCE) -> dict[str, object]:
    return {"effect": name, "contrast": contrast, "estimate": est.estimate, "ci_low": est.ci[0],
            "ci_high": est.ci[1], "se": est.se, "p_value": est.p_value, "df": est.df, "n_targets": est.n_clusters,
            "n_pairs": n_pairs, "points_at_ref": float(logit_to_points(est.estimate, ref_logit, chance)),
            "points_ci_low": float(logit_to_points(est.ci[0], ref_logit, chance)),
            "points_ci_high": float(logit_to_points(est.ci[1], ref_logit, chance)),
            "scale": "chance-corrected logit", "method": est.method}


def estimate(acc: pd.DataFrame, conds: pd.DataFrame, alpha: float = 0.05, chance: float = CHANCE) -> Disentangled:
    """The gain matrix and the format / relatedness effects (with 1 - alpha intervals) of a sweep
    (``chance`` = 1/K of the evaluated task)."""
    from xlt.stats import chance_logit, disentangle

    a, variants, missing = _counts(acc, conds)
    if not (a["regime"] == BASE).any():
        return Disentangled(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), missing + [
            "every gain needs the zero_shot baseline: re-run the sweep with regime=zero_shot added "
            "(finished conditions are skipped)"])
    g = _gain_points(a)
    # the sweep's own target order (metrics.json stores languages sorted by code)
    configured = [t for ts in conds.get("targets", pd.Series(dtype=object)) for t in ts]
    targets = list(dict.fromkeys([*(t for t in configured if t in set(a["target"])), *a["target"]]))
    matrix = _matrix(g, targets) if not g.empty else pd.DataFrame()
    pairs = _pairs(g, variants) if not g.empty else pd.DataFrame()
    rows: list[dict[str, object]] = []
    if pairs.empty:
        missing.append("relatedness and format effects need trained conditions with a zero_shot baseline")
        return Disentangled(pd.DataFrame(), pairs, matrix, missing)

    base_logit = float(np.mean(chance_logit(a.loc[a["regime"] == BASE, "n_correct"], a.loc[a["regime"] == BASE, "n"],
                                               chance)))
    if not (a["regime"] == FMT).any():
        missing.append("format effect: needs the finetune_format regime (regime=zero_shot,finetune,finetune_format)")
    else:
        fmt_est, n_fmt = _format_effect(a, pairs, variants, alpha, chance)
        if fmt_est is not None and not fmt_est.se > 1e-9:
            missing.append("format effect: degenerate (the format-only gain is identical on every target)")
        elif fmt_est is None:
            missing.append(f"format effect: needs >= 2 targets with format-only and zero_shot results (have {n_fmt})")
        else:
            rows.append(_row("format", "finetune_format - zero_shot", fmt_est, base_logit, 0, chance))
    fmt_logit = base_logit + (rows[0]["estimate"] if rows else 0.0)
    if not (a["regime"] == FT).any():
        missing.append("relatedness: needs the finetune regime from >= 2 sources")
    for name, col, predictor, contrast in PREDICTORS if (a["regime"] == FT).any() else ():
        f = _stats_frame(a, pairs, variants, col, predictor)
        ft = f[f["regime"] == FT]
        n_t = ft["target"].nunique()
        if n_t < MIN_TARGETS or not _identified(ft, predictor):
            why = (f"{n_t} targets with >= 2 transfer sources (need {MIN_TARGETS})" if n_t < MIN_TARGETS else
                   "not identified: beyond source and target effects the predictor does not vary (every target "
                   "is related to all sources or to none); add a source from another family, e.g. lang=ar,he,en,ja")
            missing.append(f"relatedness by {name}: {why}")
            continue
        try:
            res = disentangle(f, predictor, alpha, chance)
        except ValueError as err:  # e.g. every gain identical (a model that never moved)
            missing.append(f"relatedness by {name}: {err}")
            continue
        rows.append(_row(f"relatedness ({name})", contrast, res.relatedness_effect, fmt_logit,
                         len(ft.drop_duplicates(["source", "target"])), chance))
    effects = pd.DataFrame(rows)
    return Disentangled(effects, pairs, matrix, missing, _answer(effects, pairs, alpha))


def _answer(effects: pd.DataFrame, pairs: pd.DataFrame, alpha: float) -> str:
    """One paragraph answering the issue's question in numbers."""
    if effects.empty:
        return ""
    tr = pairs[~pairs["in_language"]]
    means = [f"{r} {tr[c].mean():+.1f} points" for r, c in ((FT, "gain_points"), (FMT, "format_gain_points"))
             if tr[c].notna().any()]
    parts = [f"Mean transfer gain over zero-shot: {', '.join(means)} (means over transfer pairs)."]
    for _, e in effects.iterrows():
        parts.append(f"{e['effect']}: {e['estimate']:+.3f} logits, {1 - alpha:.0%} CI [{e['ci_low']:+.3f}, "
                     f"{e['ci_high']:+.3f}] (~{e['points_at_ref']:+.1f} points, [{e['points_ci_low']:+.1f}, "
                     f"{e['points_ci_high']:+.1f}]; p = {e['p_value']:.3g}, {int(e['n_targets'])} targets).")
    return " ".join(parts)


def heatmap(matrix: pd.DataFrame, pairs: pd.DataFrame) -> bytes | None:
    """Source x target gain (points, mean over models and seeds): one panel per trained regime, plus
    finetune - finetune_format when both ran. Boxes: in-language cells; dots: same genus."""
    if matrix.empty:
        return None
    m = matrix[matrix["model"] == "mean"].drop(columns="model")
    targets = [c for c in m.columns if c not in ("regime", "source")]
    panels = {r: m[m["regime"] == r].set_index("source")[targets] for r in (FT, FMT) if (m["regime"] == r).any()}
    if len(panels) == 2:
        common = panels[FT].index.intersection(panels[FMT].index)
        panels["finetune - finetune_format"] = panels[FT].loc[common] - panels[FMT].loc[common]
    info = pairs.set_index(["source", "target"]) if not pairs.empty else pd.DataFrame()
    vmax = max(1.0, float(np.nanmax(np.abs(np.concatenate([p.to_numpy(float).ravel() for p in panels.values()])))))
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(6.0, 0.6 * len(targets) + 2.5),
                                                      1.2 + 0.45 * sum(len(p) + 2 for p in panels.values())),
                             squeeze=False)
    for ax, (title, p) in zip(axes[:, 0], panels.items()):
        im = ax.imshow(p.to_numpy(float), cmap="RdBu", vmin=-vmax, vmax=vmax, aspect="auto")
        for i, s in enumerate(p.index):
            for j, t in enumerate(targets):
                v = p.iloc[i, j]
                if not pd.isna(v):
                    ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                            color="white" if abs(v) > 0.6 * vmax else "black")
                if (s, t) in info.index and bool(info.loc[(s, t), "in_language"]):
                    ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=1.5, ec="black"))
                elif (s, t) in info.index and info.loc[(s, t), "related_genus"] == 1.0:
                    ax.plot(j + 0.32, i - 0.3, "k.", ms=4)
        ax.set_xticks(range(len(targets)), targets, rotation=60, fontsize=7)
        ax.set_yticks(range(len(p)), list(p.index), fontsize=8)
        ax.set_title(f"{title}: gain over zero_shot (points)" if title != "finetune - finetune_format"
                     else "finetune - finetune_format (points): what the real passages add", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.025)
    fig.suptitle("Source x target gain (mean over models and seeds; box: in-language, dot: same genus)", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def section(acc: pd.DataFrame, conds: pd.DataFrame, alpha: float = 0.05, chance: float = CHANCE) -> Section:
    """The report section: effects with intervals, the answer, the matrix, per-pair gains, the heatmap."""
    s = Section("disentangle", "Source x target: relatedness vs format", [
        "Rows are fine-tuning sources, columns target languages; cells are accuracy gains over the same model's "
        "zero_shot on the same held-out items (points; mean over models and seeds). finetune_format trains on "
        "the same items with every passage swapped for an unrelated one: it can teach the answer format and "
        "label prior, not reading comprehension.",
        "Format effect = finetune_format - zero_shot (chance-corrected logits; per target, mean over models; "
        "t-interval over target languages). Relatedness effect = gain of finetune beyond finetune_format on "
        "related minus unrelated (source, target) pairs, with source and target fixed effects (the target "
        "effects absorb each target's baseline accuracy) and SEs clustered by target: by genus, by family, and "
        "per unit of URIEL similarity. In-language pairs (target among the source's variants) never enter an "
        "estimate. points_at_ref translates an effect into points at the mean baseline (format) or at the "
        "mean format-only level (relatedness). Estimation: xlt.stats.disentangle."])
    d = estimate(acc, conds, alpha, chance)
    s.missing += d.missing
    if d.answer:
        s.paragraphs.append("Answer: " + d.answer)
    if not d.effects.empty:
        s.tables["disentangle_effects"] = d.effects
    if not d.matrix.empty:
        s.tables["disentangle_matrix"] = d.matrix
    if not d.pairs.empty:
        s.tables["disentangle_pairs"] = d.pairs
    png = heatmap(d.matrix, d.pairs)
    if png:
        s.figures["disentangle_heatmap"] = png
    return s

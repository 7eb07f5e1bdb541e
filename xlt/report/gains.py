"""Descriptive tables: baseline accuracy, paired gains (McNemar / Newcombe intervals), family means,
and the correlation of CoT gains with fine-tuning gains.

Seeds: a paired interval needs one 0/1 answer per item, so the gain table has one row PER SEED.
Everything downstream (family means, figures' cell means, the language-level tests) uses the
SEED MEAN of a model × source × regime × language cell: seeds replicate a cell, they are not new
languages or models, so averaging them reduces noise without inflating the number of units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from xlt.languages import LANGUAGES
from xlt.stats.paired import paired_difference

CELL = ["model", "source", "regime", "lang"]


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    """Baselines carry source/seed None: name them so groupby keeps them."""
    out = df.copy()
    if "source" in out:
        out["source"] = out["source"].fillna("-").astype(str)
    if "seed" in out:
        out["seed"] = out["seed"].astype("Int64")
    return out


def lang_info(code: str) -> dict[str, object]:
    """Family, genus and Semitic flag of a target (unknown codes stay labelled, never dropped)."""
    lang = LANGUAGES.get(code)
    if lang is None:
        return {"family": "unknown", "genus": "unknown", "semitic": False}
    return {"family": lang.family, "genus": lang.genus, "semitic": lang.semitic}


def baseline_table(acc: pd.DataFrame) -> pd.DataFrame:
    """Zero-shot accuracy, model × target language (plus the mean over targets)."""
    base = acc[acc["regime"] == "zero_shot"]
    if base.empty:
        return pd.DataFrame()
    wide = base.pivot_table(index="model", columns="target", values="accuracy", aggfunc="mean", sort=False)
    wide["mean"] = wide.mean(axis=1)
    return wide.reset_index()


def gain_table(paired: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """One row per condition × target: paired gain over the baseline with a Newcombe interval and
    the exact McNemar p-value (both from :func:`xlt.stats.paired.paired_difference`)."""
    if paired.empty:
        return pd.DataFrame()
    rows = []
    for (cond, model, source, regime, seed, lang), g in _clean(paired).groupby(
            ["condition", "model", "source", "regime", "seed", "lang"], sort=False, dropna=False):
        d = paired_difference(g["correct_base"].to_numpy(), g["correct"].to_numpy(), alpha=alpha)
        rows.append({"model": model, "source": source, "regime": regime, "seed": seed, "target": lang,
                     **lang_info(lang), "n": d.n, "acc_base": d.acc_before, "acc": d.acc_after,
                     "gain_points": 100 * d.difference, "ci_low_points": 100 * d.ci[0],
                     "ci_high_points": 100 * d.ci[1], "n_gained": d.n_gained, "n_lost": d.n_lost,
                     "p_mcnemar": d.p_value, "condition": cond})
    return pd.DataFrame(rows)


def gain_cells(paired: pd.DataFrame) -> pd.DataFrame:
    """Seed-mean cells: ``model, source, regime, lang, semitic, family, genus, n_items, k_base, k_ft,
    acc_base, acc_ft, gain_points, n_seeds`` (``k_ft`` may be fractional: a mean over seeds)."""
    if paired.empty:
        return pd.DataFrame()
    per_seed = _clean(paired).groupby([*CELL, "seed"], sort=False, dropna=False).agg(
        n_items=("correct", "size"), k_base=("correct_base", "sum"), k_ft=("correct", "sum")).reset_index()
    cells = per_seed.groupby(CELL, sort=False, dropna=False).agg(
        n_items=("n_items", "first"), k_base=("k_base", "first"), k_ft=("k_ft", "mean"),
        n_seeds=("seed", "size")).reset_index()
    info = pd.DataFrame([lang_info(c) for c in cells["lang"]])
    cells = pd.concat([cells, info], axis=1)
    cells["acc_base"] = cells["k_base"] / cells["n_items"]
    cells["acc_ft"] = cells["k_ft"] / cells["n_items"]
    cells["gain_points"] = 100 * (cells["acc_ft"] - cells["acc_base"])
    return cells


def family_means(acc: pd.DataFrame, cells: pd.DataFrame,
                 source_variants: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """Mean accuracy (all regimes) and mean gain (seed-mean cells) per model × source × regime ×
    group, for the genus split (Semitic / non-Semitic) and for each language family. Rows of a
    trained condition leave out the source's own variants (in-language, not transfer)."""
    a = _clean(acc)
    own = {(s, t) for s, vs in (source_variants or {}).items() for t in vs}
    a = a[[(s, t) not in own for s, t in zip(a["source"], a["target"])]]
    a = a.groupby(["model", "source", "regime", "target"], sort=False, dropna=False)["accuracy"].mean().reset_index()
    info = pd.DataFrame([lang_info(c) for c in a["target"]])
    a = pd.concat([a, info], axis=1)
    if not cells.empty:
        g = cells[["model", "source", "regime", "lang", "gain_points"]].rename(columns={"lang": "target"})
        a = a.merge(g, on=["model", "source", "regime", "target"], how="left")
    else:
        a["gain_points"] = np.nan
    a["genus_split"] = np.where(a["semitic"], "Semitic", "non-Semitic")
    frames = []
    for level, col in (("genus", "genus_split"), ("family", "family")):
        f = a.groupby(["model", "source", "regime", col], sort=False, dropna=False).agg(
            n_languages=("target", "nunique"), mean_accuracy=("accuracy", "mean"),
            mean_gain_points=("gain_points", "mean")).reset_index().rename(columns={col: "group"})
        f.insert(3, "level", level)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def cot_vs_finetune(cells: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, object] | None, str]:
    """CoT gain vs fine-tuning gain over model × language cells (per fine-tuning source).

    Returns (cells, summary or None, why-not). Cells share languages, so the Pearson interval
    (Fisher z, n - 3 df) is descriptive, not a test across independent units.
    """
    if cells.empty or not {"cot", "finetune"} <= set(cells["regime"]):
        return pd.DataFrame(), None, "needs both the cot and the finetune regime (each with a zero_shot baseline)"
    cot = cells[cells["regime"] == "cot"][["model", "lang", "gain_points"]].rename(columns={"gain_points": "cot_gain"})
    ft = cells[cells["regime"] == "finetune"][["model", "source", "lang", "gain_points", "semitic"]]
    both = ft.rename(columns={"gain_points": "finetune_gain"}).merge(cot, on=["model", "lang"])
    if len(both) < 4 or both["cot_gain"].std() == 0 or both["finetune_gain"].std() == 0:
        return both, None, f"needs >= 4 model x language cells with varying gains (have {len(both)})"
    r, p = stats.pearsonr(both["finetune_gain"], both["cot_gain"])
    z, se = np.arctanh(np.clip(r, -0.999999, 0.999999)), 1 / np.sqrt(max(len(both) - 3, 1))
    rho, p_s = stats.spearmanr(both["finetune_gain"], both["cot_gain"])
    return both, {"n_cells": len(both), "pearson_r": float(r), "ci_low": float(np.tanh(z - 1.96 * se)),
                  "ci_high": float(np.tanh(z + 1.96 * se)), "p_pearson": float(p),
                  "spearman_rho": float(rho), "p_spearman": float(p_s)}, ""

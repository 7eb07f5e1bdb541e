"""Label bias of every condition: how its predictions spread over the answer labels, per language.

Weak models often answer the same label to nearly every question; fine-tuning may mostly change
that. Works for any label set (the union of predicted and gold labels seen), not only 1-4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["model", "source", "regime", "lang"]


def label_shares(items: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Per model x source x regime x language (seeds pooled): n, share of each predicted label,
    the gold shares, the most frequent label and its share, and the total-variation distance between
    the predicted and the gold label distributions (0 = same spread as the answers, 1 = disjoint)."""
    if items.empty or not {"pred", "gold"} <= set(items.columns):
        return pd.DataFrame(), []
    it = items.assign(source=items["source"].fillna("-").astype(str),
                      pred=items["pred"].astype(str), gold=items["gold"].astype(str))
    labels = sorted(set(it["pred"]) | set(it["gold"]), key=lambda s: (len(s), s))
    pred = pd.crosstab([it[k] for k in KEY], it["pred"], normalize="index").reindex(columns=labels, fill_value=0)
    gold = pd.crosstab([it[k] for k in KEY], it["gold"], normalize="index").reindex(columns=labels, fill_value=0)
    out = pred.add_prefix("share_")
    out = out.join(gold.add_prefix("gold_share_"))
    out.insert(0, "n", it.groupby(KEY).size())
    out["top_label"] = pred.idxmax(axis=1)
    out["top_share"] = pred.max(axis=1)
    out["gold_top_share"] = gold.max(axis=1)
    out["tv_from_gold"] = 0.5 * np.abs(pred.to_numpy() - gold.to_numpy()).sum(1)
    order = {k: i for i, k in enumerate(dict.fromkeys(items["model"]))}
    out = out.reset_index().sort_values(["model", "regime", "source", "lang"], key=lambda c: c.map(order)
                                        if c.name == "model" else c)
    return out.reset_index(drop=True), labels


def bias_summary(shares: pd.DataFrame) -> pd.DataFrame:
    """One row per model x source x regime: mean top-label share and TV distance over languages."""
    if shares.empty:
        return shares
    return shares.groupby(["model", "source", "regime"], sort=False).agg(
        n_languages=("lang", "nunique"), mean_top_share=("top_share", "mean"),
        max_top_share=("top_share", "max"), mean_tv_from_gold=("tv_from_gold", "mean")).reset_index()

"""Read a sweep's results store into tidy tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xlt.results.store import finished


def accuracy_table(sweep_dir: Path | str) -> pd.DataFrame:
    """One row per finished condition × target language: accuracy, n, CI, family flags."""
    rows = []
    for store in finished(sweep_dir):
        m = store.metrics()
        cond = m["condition"]
        for lang, entry in m["per_lang"].items():
            rows.append({"condition": cond["id"], "model": cond["model"], "source": cond["source"],
                         "regime": cond["regime"], "seed": cond["seed"], "target": lang,
                         "accuracy": entry["accuracy"], "n": entry["n"], "ci_low": entry["ci95"][0],
                         "ci_high": entry["ci95"][1], "semitic": entry["semitic"], "family": entry["family"],
                         "cot_parse_rate": entry.get("cot_parse_rate")})
    return pd.DataFrame(rows)


def item_table(sweep_dir: Path | str) -> pd.DataFrame:
    """One row per finished condition × item: correct, pred, gold (paired analyses use this)."""
    frames = []
    for store in finished(sweep_dir):
        cond = store.metrics()["condition"]
        df = pd.DataFrame(store.predictions())
        for key in ("id", "model", "source", "regime", "seed"):
            df[key if key != "id" else "condition"] = cond[key]
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def pivot_accuracy(table: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per (model, source, regime) × target, averaged over seeds."""
    if table.empty:
        return table
    return table.pivot_table(index=["model", "source", "regime"], columns="target", values="accuracy",
                             aggfunc="mean", sort=False)

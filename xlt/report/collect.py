"""Read a sweep's results store into tidy tables (never W&B: the store is the source of truth)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from xlt.results.store import finished

BASELINE = "zero_shot"
ITEM_KEY = ["lang", "link", "question_number"]  # Belebele is parallel: this is one item in every language


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
    t = table.assign(source=table["source"].fillna("-"))  # baselines: no source (NaN keys would vanish)
    return t.pivot_table(index=["model", "source", "regime"], columns="target", values="accuracy",
                         aggfunc="mean", sort=False)


def _data_key(identity: dict[str, Any]) -> str:
    """The data settings that decide WHICH items are scored (n_train only changes training)."""
    data = {k: v for k, v in identity.get("data", {}).items() if k not in ("n_train", "eval_batch_size")}
    return json.dumps(data, sort_keys=True, default=str)


def condition_table(sweep_dir: Path | str) -> pd.DataFrame:
    """One row per finished condition: identity, source variants, data key, logger settings."""
    rows = []
    for store in finished(sweep_dir):
        info, cond = store.condition(), store.metrics()["condition"]
        config = info.get("config", {})
        rows.append({"condition": cond["id"], "model": cond["model"], "source": cond["source"],
                     "regime": cond["regime"], "seed": cond["seed"],
                     "source_variants": tuple(info.get("source_variants", [])) if cond["source"] else (),
                     "targets": tuple(info.get("targets", [])),
                     "data_key": _data_key(info.get("identity", {})),
                     "logger": config.get("logger", {}), "sweep_name": config.get("sweep_name")})
    return pd.DataFrame(rows)


def paired_items(items: pd.DataFrame, conditions: pd.DataFrame) -> pd.DataFrame:
    """Every non-baseline condition's items joined to its baseline's answers on the same items.

    The baseline of a condition is the ``zero_shot`` condition of the same model with the same data
    settings (one baseline serves every source and seed). Columns: ``condition, model, source,
    regime, seed, lang, link, question_number, correct_base, correct``.
    """
    if items.empty or conditions.empty:
        return pd.DataFrame()
    key_of = conditions.set_index("condition")["data_key"]
    it = items.assign(data_key=items["condition"].map(key_of), correct=items["correct"].astype(int))
    base = it[it["regime"] == BASELINE][["model", "data_key", *ITEM_KEY, "correct"]]
    base = base.rename(columns={"correct": "correct_base"})
    other = it[it["regime"] != BASELINE]
    cols = ["condition", "model", "source", "regime", "seed", "data_key", *ITEM_KEY, "correct"]
    return other[cols].merge(base, on=["model", "data_key", *ITEM_KEY], how="inner")

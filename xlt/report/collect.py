"""Read a sweep's results store into tidy tables (never W&B: the store is the source of truth)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from xlt.results.store import finished

BASELINE = "zero_shot"
ITEM_KEY = ["lang", "link", "question_number"]  # Belebele is parallel: this is one item in every language
DEFAULT_TASK, DEFAULT_LABELS = "belebele", 4  # stores written before tasks existed
TRAIN_ONLY_TASK_KEYS = ("train_from", "train_split")  # change what a condition trains on, not what it scores


def task_fields(metrics: dict[str, Any]) -> dict[str, Any]:
    """``task, train_task, n_labels`` of a condition's metrics (older stores: belebele, 4 labels; a
    missing train_task, or None for a baseline, is the evaluated task itself)."""
    cond = metrics.get("condition", {})
    task = cond.get("task") or DEFAULT_TASK
    return {"task": task, "train_task": cond.get("train_task") or task,
            "n_labels": int(metrics.get("n_labels") or DEFAULT_LABELS)}


def accuracy_table(sweep_dir: Path | str) -> pd.DataFrame:
    """One row per finished condition × target language: accuracy, n, CI, family flags."""
    rows = []
    for store in finished(sweep_dir):
        m = store.metrics()
        cond, task = m["condition"], task_fields(m)
        for lang, entry in m["per_lang"].items():
            rows.append({"condition": cond["id"], **task, "model": cond["model"], "source": cond["source"],
                         "regime": cond["regime"], "seed": cond["seed"], "target": lang,
                         "accuracy": entry["accuracy"], "n": entry["n"], "ci_low": entry["ci95"][0],
                         "ci_high": entry["ci95"][1], "semitic": entry["semitic"], "family": entry["family"],
                         "cot_parse_rate": entry.get("cot_parse_rate")})
    return pd.DataFrame(rows)


def item_table(sweep_dir: Path | str) -> pd.DataFrame:
    """One row per finished condition × item: correct, pred, gold (paired analyses use this)."""
    frames = []
    for store in finished(sweep_dir):
        m = store.metrics()
        cond = m["condition"]
        df = pd.DataFrame(store.predictions())
        for key in ("id", "model", "source", "regime", "seed"):
            df[key if key != "id" else "condition"] = cond[key]
        for key, value in task_fields(m).items():
            df[key] = value
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
    """The settings that decide WHICH items are scored: the data settings (n_train only changes training;
    ``leak`` is recorded only for trained conditions, and the items it drops are simply not scored) and
    the evaluated task (its identity node without the train-only keys), so a SIB-200 condition is never
    paired with a Belebele baseline. Stores without a task node keep their old key (Belebele)."""
    data = {k: v for k, v in identity.get("data", {}).items() if k not in ("n_train", "eval_batch_size", "leak")}
    task = identity.get("task")
    if not task:
        return json.dumps(data, sort_keys=True, default=str)
    task = {k: v for k, v in task.items() if k not in TRAIN_ONLY_TASK_KEYS}
    return json.dumps({"data": data, "task": task}, sort_keys=True, default=str)


def condition_table(sweep_dir: Path | str) -> pd.DataFrame:
    """One row per finished condition: identity, source variants, data key, logger settings."""
    rows = []
    for store in finished(sweep_dir):
        info, m = store.condition(), store.metrics()
        cond, config, leak = m["condition"], info.get("config", {}), m.get("leak") or {}
        rows.append({"condition": cond["id"], **task_fields(m), "model": cond["model"], "source": cond["source"],
                     "regime": cond["regime"], "seed": cond["seed"],
                     "source_variants": tuple(info.get("source_variants", [])) if cond["source"] else (),
                     "targets": tuple(info.get("targets", [])),
                     "data_key": _data_key(info.get("identity", {})),
                     "logger": config.get("logger", {}), "sweep_name": config.get("sweep_name"),
                     "leak_n_overlapping": leak.get("n_overlapping") if leak else None,
                     "leak_dropped": leak.get("dropped", 0) if leak else None,
                     "leak_n_eval_items": leak.get("n_eval_items") if leak else None,
                     "leak_mode": leak.get("mode") if leak else None})
    return pd.DataFrame(rows)


LEAK_COLUMNS = ["leak_n_overlapping", "leak_dropped", "leak_n_eval_items", "leak_mode"]


def leak_table(conditions: pd.DataFrame) -> pd.DataFrame:
    """Cross-task conditions with a leak check: condition, train task, eval task, overlapping items,
    dropped (empty when no condition carries ``leak``)."""
    if conditions.empty or "leak_n_overlapping" not in conditions or conditions["leak_n_overlapping"].isna().all():
        return pd.DataFrame()
    c = conditions[conditions["leak_n_overlapping"].notna()]
    return pd.DataFrame({"condition": c["condition"], "train_task": c["train_task"], "eval_task": c["task"],
                         "n_eval_items": c["leak_n_eval_items"], "overlapping_items": c["leak_n_overlapping"].astype(int),
                         "dropped": c["leak_dropped"].fillna(0).astype(int), "mode": c["leak_mode"]}).reset_index(drop=True)


def paired_items(items: pd.DataFrame, conditions: pd.DataFrame) -> pd.DataFrame:
    """Every non-baseline condition's items joined to its baseline's answers on the same items.

    The baseline of a condition is the ``zero_shot`` condition of the same evaluated task and model with
    the same data key (which includes the task: one baseline serves every source, seed and training
    task). Columns: ``condition, task, train_task, n_labels, model, source, regime, seed, lang, link,
    question_number, correct_base, correct``.
    """
    if items.empty or conditions.empty:
        return pd.DataFrame()
    key_of = conditions.set_index("condition")["data_key"]
    it = items.assign(data_key=items["condition"].map(key_of), correct=items["correct"].astype(int))
    for col, default in (("task", DEFAULT_TASK), ("n_labels", DEFAULT_LABELS)):
        if col not in it:
            it[col] = default
    if "train_task" not in it:
        it["train_task"] = it["task"]
    pair = ["task", "model", "data_key"]
    base = it[it["regime"] == BASELINE][[*pair, *ITEM_KEY, "correct"]]
    base = base.rename(columns={"correct": "correct_base"})
    other = it[it["regime"] != BASELINE]
    cols = ["condition", "task", "train_task", "n_labels", "model", "source", "regime", "seed", "data_key",
            *ITEM_KEY, "correct"]
    return other[cols].merge(base, on=[*pair, *ITEM_KEY], how="inner")

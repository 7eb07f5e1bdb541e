"""Read a sweep's results store into tidy tables (never W&B: the store is the source of truth)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from xlt.results.records import ConditionRecord, MetricsRecord
from xlt.results.store import finished

BASELINE = "zero_shot"
ITEM_KEY = ["lang", "link", "question_number"]  # Belebele is parallel: this is one item in every language
DEFAULT_TASK, DEFAULT_LABELS = "belebele", 4  # stores written before tasks existed


def task_fields(cond: ConditionRecord, metrics: MetricsRecord) -> dict[str, Any]:
    """``task, train_task, n_labels`` of a finished condition (older stores: belebele, 4 labels; a
    missing train_task, or None for a baseline, is the evaluated task itself)."""
    task = cond.task or DEFAULT_TASK
    return {"task": task, "train_task": cond.train_task or task, "n_labels": int(metrics.n_labels or DEFAULT_LABELS)}


def _identity(cond: ConditionRecord) -> dict[str, Any]:
    """The columns every table keys a condition by."""
    return {"condition": cond.id, "model": cond.model, "source": cond.source, "regime": cond.regime,
            "seed": cond.seed}


def accuracy_table(sweep_dir: Path | str) -> pd.DataFrame:
    """One row per finished condition × target language: accuracy, n, CI, family flags."""
    rows = []
    for store in finished(sweep_dir):
        cond, m = store.condition(), store.metrics()
        ident, task = _identity(cond), task_fields(cond, m)
        for lang, entry in m.per_lang.items():
            rows.append({"condition": cond.id, **task, **ident, "target": lang,
                         "accuracy": entry.accuracy, "n": entry.n, "ci_low": entry.ci95[0],
                         "ci_high": entry.ci95[1], "semitic": entry.semitic, "family": entry.family,
                         "cot_parse_rate": entry.cot.parse_rate if entry.cot else None})
    return pd.DataFrame(rows)


def item_table(sweep_dir: Path | str) -> pd.DataFrame:
    """One row per finished condition × item: correct, pred, gold (paired analyses use this)."""
    frames = []
    for store in finished(sweep_dir):
        cond = store.condition()
        df = pd.DataFrame([p.to_dict() for p in store.prediction_records()])
        for key, value in {**_identity(cond), **task_fields(cond, store.metrics())}.items():
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
    """Which items a condition scored, and how they were prompted (``xlt.config.identity.evaluation_key``):
    a finetuned condition pairs with the baseline of the same key, never across tasks or data settings."""
    from xlt.config.identity import evaluation_key

    return json.dumps(evaluation_key(identity), sort_keys=True, default=str)


def condition_table(sweep_dir: Path | str) -> pd.DataFrame:
    """One row per finished condition: identity, source variants, data key, logger settings."""
    rows = []
    for store in finished(sweep_dir):
        cond, m = store.condition(), store.metrics()
        leak = m.leak or {}
        rows.append({"condition": cond.id, **task_fields(cond, m), **_identity(cond),
                     "source_variants": cond.source_variants if cond.source else (),
                     "targets": cond.targets,
                     "data_key": _data_key(cond.identity),
                     "logger": cond.config.get("logger", {}), "sweep_name": cond.config.get("sweep_name"),
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

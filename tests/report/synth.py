"""Turn simulated item outcomes (xlt.stats.simulate) into a results store, as a sweep would write it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from xlt.results.records import Prediction
from xlt.results.store import ConditionStore
from xlt.scoring.metrics import summarize
from xlt.stats.simulate import SimSpec, simulate

AR_VARIANTS = ["arb_Arab", "acm_Arab", "apc_Arab", "ars_Arab", "ary_Arab", "arz_Arab"]
PAPER_SPEC = SimSpec(n_models=4, semitic_langs=("arb_Arab", "heb_Hebr", "amh_Ethi", "mlt_Latn"),
                     control_langs=("jpn_Jpan", "kor_Hang", "fra_Latn"), n_items=100, bonus=0.3, cot_effect=0.3)


def prediction(lang: str, item: int, correct: bool, cot: bool = False, n_labels: int = 4,
               link_prefix: str = "https://example.org/p") -> Prediction:
    """A simulated item outcome as the scorer would record it (two questions per passage, K labels)."""
    gold = 1 + int(item) % n_labels
    pred = gold if correct else gold % n_labels + 1
    logprobs = [-2.0] * n_labels
    logprobs[pred - 1] = -0.5
    extra = {"stated_answer": pred} if cot else {}
    return Prediction(lang, f"{link_prefix}{int(item) // 2}", int(item) % 2 + 1, logprobs,
                      pred, gold, "label-token", extra)


def _predictions(frame: pd.DataFrame, cot: bool, n_labels: int = 4,
                 link_prefix: str = "https://example.org/p") -> list[Prediction]:
    return [prediction(lang, item, correct, cot, n_labels, link_prefix)
            for lang, item, correct in frame[["lang", "item", "correct"]].itertuples(index=False)]


TASK_NODES = {"belebele": {"name": "belebele", "n_labels": 4, "train_from": "heldin"},
              "sib200": {"name": "sib200", "n_labels": 7, "source": "local", "dir": "../shared/data/sib200",
                         "hub_id": "Davlan/sib200", "revision": None, "eval_split": "test", "train_from": "own",
                         "train_split": "train"}}
LINKS = {"belebele": "https://example.org/p", "sib200": "https://example.org/sib/s"}


def write_condition(sweep: Path, sweep_name: str, model: str, regime: str, source: str | None, seed: int | None,
                    frame: pd.DataFrame, n_eval: int, task: str | None = None, train_task: str | None = None,
                    leak: dict | None = None) -> Path:
    """One finished condition in the store layout (condition.json, predictions.jsonl, metrics.json, DONE).

    ``task=None`` writes the layout of stores from before tasks existed (no task, train_task, n_labels);
    a task writes it as xlt.pipeline does now: the identity's task node (without its train-only keys for a
    baseline), ``train_task`` (None for a baseline), ``n_labels``, and ``leak`` when given."""
    trains = source is not None
    cid = f"{model}-{regime}" if not trains else f"{model}-{source}-{regime}-s{seed}"
    if task is not None:
        cross = f"from_{train_task}-" if trains and train_task and train_task != task else ""
        cid = f"{model}-{'' if task == 'belebele' else task + '-'}{cross}" + cid[len(model) + 1:]
    store = ConditionStore(sweep / cid)
    targets = list(dict.fromkeys(frame["lang"]))
    identity = {"data": {"source": "fixtures", "split": "passage", "n_eval": n_eval, "n_train": 800}}
    tags = {"id": cid, "model": model, "source": source, "regime": regime, "seed": seed}
    n_labels = 4
    if task is not None:
        node = dict(TASK_NODES[task])
        if not trains:
            node = {k: v for k, v in node.items() if k not in ("train_from", "train_split")}
        else:
            identity["data"]["leak"] = "report"
        n_labels = node["n_labels"]
        tt = (train_task or task) if trains else None
        identity.update(task=node, train_task=(TASK_NODES[tt] if tt and tt != task else None))
        tags = {"id": cid, "task": task, "model": model, "source": source, "regime": regime, "seed": seed,
                "train_task": tt}
    store.write_condition({
        **{k: v for k, v in tags.items() if k != "id"}, "id": cid,
        "source_variants": AR_VARIANTS if source else [], "targets": targets, "identity": identity,
        "config": {"sweep_name": sweep_name, "logger": {"name": "wandb", "mode": "offline", "project": "xlt"}}})
    preds = _predictions(frame, regime == "cot", n_labels, LINKS[task or "belebele"])
    metrics = summarize(preds, n_labels=n_labels if task is not None else None, leak=leak)
    store.write_results(metrics, preds)
    return store.dir


def synthetic_sweep(root: Path, spec: SimSpec = PAPER_SPEC, seeds: int = 2, regimes: tuple[str, ...] = (
        "zero_shot", "finetune", "cot"), sweep_name: str = "synth", sim_seed: int = 0, task: str | None = None) -> Path:
    """A sweep from one simulated study: every model's zero_shot / cot baselines and fine-tuned seeds.

    Seed s > 0 repeats seed 0's fine-tuned answers with 10 % of items re-drawn (a plausible replicate).
    ``task``: None writes the store layout from before tasks existed, a name the current one.
    """
    sweep = root / sweep_name
    data = simulate(spec, seed=sim_seed)
    rng = np.random.default_rng(sim_seed + 1)
    for model, m in data.groupby("model", sort=True):
        for regime in regimes:
            frame = m[m["regime"] == regime].reset_index(drop=True)
            if regime != "finetune":
                write_condition(sweep, sweep_name, model, regime, None, None, frame, spec.n_items, task)
                continue
            for seed in range(seeds):
                f = frame.copy()
                if seed:
                    flip = rng.random(len(f)) < 0.1
                    f.loc[flip, "correct"] = rng.integers(0, 2, int(flip.sum()))
                write_condition(sweep, sweep_name, model, "finetune", "ar", seed, f, spec.n_items, task)
    return sweep


SIB_SPEC = replace(PAPER_SPEC, n_models=3, n_items=84, chance=1 / 7, bonus=0.0, cot_effect=None)
BELE_SPEC = replace(PAPER_SPEC, n_models=3, n_items=60, cot_effect=None)
FORCED = {("m0", "heb_Hebr"): 21, ("m1", "heb_Hebr"): 12}  # SIB zero-shot correct of 84: 25 % and exactly 1/7


def _forced(frame: pd.DataFrame, model: str, n_items: int) -> pd.DataFrame:
    """SIB-200 zero-shot answers with exactly k of n correct in the FORCED cells."""
    f = frame.copy()
    for (m, lang), k in FORCED.items():
        if m == model:
            rows = f.index[f["lang"] == lang]
            f.loc[rows, "correct"] = (np.arange(len(rows)) < k).astype(int)
    return f


def two_task_sweep(root: Path, sweep_name: str = "two_tasks", cross_task: bool = True, sim_seed: int = 0) -> Path:
    """Belebele (K = 4) and SIB-200 (K = 7) in one sweep, with distinct items (links) and baselines.

    Each task: every model's zero_shot and one fine-tuned seed from ar, simulated with the task's own
    chance floor; SIB-200 zero-shot cells of FORCED are set to exactly 21/84 (25 %) and 12/84 (1/7).
    With ``cross_task``: m0 evaluated on SIB-200 after training on Belebele, with a ``leak`` record.
    """
    sweep = root / sweep_name
    for task, spec, seed in (("belebele", BELE_SPEC, sim_seed), ("sib200", SIB_SPEC, sim_seed + 7)):
        data = simulate(spec, seed=seed)
        for model, m in data.groupby("model", sort=True):
            base = m[m["regime"] == "zero_shot"].reset_index(drop=True)
            if task == "sib200":
                base = _forced(base, model, spec.n_items)
            write_condition(sweep, sweep_name, model, "zero_shot", None, None, base, spec.n_items, task)
            ft = m[m["regime"] == "finetune"].reset_index(drop=True)
            write_condition(sweep, sweep_name, model, "finetune", "ar", 0, ft, spec.n_items, task)
            if task == "sib200" and cross_task and model == "m0":
                leak = {"train_task": "belebele", "eval_task": "sib200", "n_train": 48,
                        "n_eval_items": spec.n_items, "n_overlapping": 3,
                        "overlapping_keys": [["heb_Hebr", "https://example.org/sib/s1", 1]],
                        "shared_flores_ids": [11, 12, 13], "mode": "report"}
                write_condition(sweep, sweep_name, model, "finetune", "ar", 0, ft, spec.n_items, task,
                                train_task="belebele", leak=leak)
    return sweep

"""Turn simulated item outcomes (xlt.stats.simulate) into a results store, as a sweep would write it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from xlt.results.store import ConditionStore
from xlt.scoring.metrics import summarize
from xlt.scoring.scorer import Prediction
from xlt.stats.simulate import SimSpec, simulate

AR_VARIANTS = ["arb_Arab", "acm_Arab", "apc_Arab", "ars_Arab", "ary_Arab", "arz_Arab"]
PAPER_SPEC = SimSpec(n_models=4, semitic_langs=("arb_Arab", "heb_Hebr", "amh_Ethi", "mlt_Latn"),
                     control_langs=("jpn_Jpan", "kor_Hang", "fra_Latn"), n_items=100, bonus=0.3, cot_effect=0.3)


def prediction(lang: str, item: int, correct: bool, cot: bool = False) -> Prediction:
    """A simulated item outcome as the scorer would record it (two questions per passage)."""
    gold = 1 + int(item) % 4
    pred = gold if correct else gold % 4 + 1
    logprobs = [-2.0] * 4
    logprobs[pred - 1] = -0.5
    extra = {"stated_answer": pred} if cot else {}
    return Prediction(lang, f"https://example.org/p{int(item) // 2}", int(item) % 2 + 1, logprobs,
                      pred, gold, "label-token", extra)


def _predictions(frame: pd.DataFrame, cot: bool) -> list[Prediction]:
    return [prediction(lang, item, correct, cot)
            for lang, item, correct in frame[["lang", "item", "correct"]].itertuples(index=False)]


def write_condition(sweep: Path, sweep_name: str, model: str, regime: str, source: str | None, seed: int | None,
                    frame: pd.DataFrame, n_eval: int) -> Path:
    """One finished condition in the store layout (condition.json, predictions.jsonl, metrics.json, DONE)."""
    cid = f"{model}-{regime}" if source is None else f"{model}-{source}-{regime}-s{seed}"
    store = ConditionStore(sweep / cid)
    targets = list(dict.fromkeys(frame["lang"]))
    store.write_condition({
        "id": cid, "model": model, "source": source, "regime": regime, "seed": seed,
        "source_variants": AR_VARIANTS if source else [], "targets": targets,
        "identity": {"data": {"source": "fixtures", "split": "passage", "n_eval": n_eval, "n_train": 800}},
        "config": {"sweep_name": sweep_name, "logger": {"name": "wandb", "mode": "offline", "project": "xlt"}}})
    preds = _predictions(frame, cot=regime == "cot")
    metrics = summarize(preds, {"id": cid, "model": model, "source": source, "regime": regime, "seed": seed})
    store.write_results(metrics, [p.to_json() for p in preds])
    return store.dir


def synthetic_sweep(root: Path, spec: SimSpec = PAPER_SPEC, seeds: int = 2, regimes: tuple[str, ...] = (
        "zero_shot", "finetune", "cot"), sweep_name: str = "synth", sim_seed: int = 0) -> Path:
    """A sweep from one simulated study: every model's zero_shot / cot baselines and fine-tuned seeds.

    Seed s > 0 repeats seed 0's fine-tuned answers with 10 % of items re-drawn (a plausible replicate).
    """
    sweep = root / sweep_name
    data = simulate(spec, seed=sim_seed)
    rng = np.random.default_rng(sim_seed + 1)
    for model, m in data.groupby("model", sort=True):
        for regime in regimes:
            frame = m[m["regime"] == regime].reset_index(drop=True)
            if regime != "finetune":
                write_condition(sweep, sweep_name, model, regime, None, None, frame, spec.n_items)
                continue
            for seed in range(seeds):
                f = frame.copy()
                if seed:
                    flip = rng.random(len(f)) < 0.1
                    f.loc[flip, "correct"] = rng.integers(0, 2, int(flip.sum()))
                write_condition(sweep, sweep_name, model, "finetune", "ar", seed, f, spec.n_items)
    return sweep

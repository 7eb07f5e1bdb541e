"""One condition end to end: validate → data → model → (fine-tune) → score → store → track."""

from __future__ import annotations

import dataclasses
import logging
import traceback
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from xlt.conditions import Condition, apply_strategy_preset, identity_payload
from xlt.config.schema import DataConf, EngineConf, EngineName, RegimeConf
from xlt.engines import open_engine
from xlt.engines.sharded import ShardedEngine
from xlt.errors import ConfigError
from xlt.models.checkpoint import check_against_preset, check_loadable, checkpoint_config
from xlt.ranks import is_rank_zero, rank_world
from xlt.results.store import ConditionStore
from xlt.training.settings import TrainSettings

log = logging.getLogger(__name__)


def evaluate(engine, tok, split_eval: dict[str, list], cond: Condition, fmt, labels, *, model_cfg: DictConfig,
             regime: RegimeConf, answer_names: bool = False) -> list:
    """Score every target language on ``engine`` (``xlt.engines``) with a progress bar over questions."""
    from tqdm.auto import tqdm

    from xlt.chat import chat_format
    from xlt.engines import score_cot_on

    total = sum(len(v) for v in split_eval.values())
    preds = []
    chat = chat_format(model_cfg, tok)
    with tqdm(total=total, desc=f"scoring {cond.id}", unit="q", disable=not is_rank_zero()) as bar:
        for lang, items in split_eval.items():
            bar.set_postfix_str(lang)
            if cond.cot:
                preds += score_cot_on(engine, tok, items, fmt, labels, chat_template=chat,
                                      max_new_tokens=regime.cot_max_new_tokens, progress=bar.update,
                                      answer_names=answer_names)
            else:
                preds += engine.score(items, fmt, labels, chat_template=chat, progress=bar.update)
    return preds


def release_training_memory() -> None:
    """Free what training left on the accelerator before an engine takes its memory (vLLM reserves
    a fraction of the device up front)."""
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def eval_partitioned(run: TrainSettings) -> dict | None:
    """The DeepSpeed config to evaluate with partitioned weights when the condition trained under ZeRO-3
    (its model is assumed not to fit one device, the reason to pick ZeRO-3); None: a whole copy per rank."""
    from xlt.training.strategies import deepspeed_config, zero_stage

    if zero_stage(run.strategy) != 3:
        return None
    return deepspeed_config(run.strategy, 1, run.trainer.precision)


def train_passages(split_train: list, seed: int, format_only: bool) -> list[str] | None:
    """For the format-only regime: each item gets an unrelated passage (see xlt.data.format_only)."""
    if not format_only:
        return None
    from xlt.data.format_only import swapped_passages

    return swapped_passages(split_train, seed)


def cot_subset(evals: dict[str, list], n: int | None, seed: int) -> dict[str, list]:
    """CoT generation costs ~100x a label score: ``regime.cot_max_items`` scores a seeded subset of the
    held-out items — the same items in every target, so CoT still pairs with the baseline item by item."""
    import random

    keys = sorted({it.key for items in evals.values() for it in items})
    if n is None or n >= len(keys):
        return evals
    chosen = set(random.Random(seed).sample(keys, int(n)))
    return {lang: [it for it in items if it.key in chosen] for lang, items in evals.items()}


def check_same_checkpoint(store: ConditionStore, fingerprint: str, cond_id: str) -> None:
    """Refuse to continue or reuse a condition whose recorded checkpoint is not the one on disk now
    (weights replaced under a queued or finished condition): results are never mixed across weights."""
    try:
        recorded = store.condition().identity.get("model", {}).get("checkpoint")
    except (OSError, ValueError):
        return
    if recorded and recorded != fingerprint:
        raise ConfigError(f"condition {cond_id}: its checkpoint changed since it was started "
                          f"(recorded {recorded}, now {fingerprint}); re-run the sweep to give the new "
                          "weights their own condition, or restore the old ones")


def verify_preset(model_cfg: DictConfig) -> None:
    """A real preset's arch block must match the checkpoint it loads (its config.json)."""
    if model_cfg.tiny or not model_cfg.arch:
        return
    config = checkpoint_config(model_cfg)
    if config is not None:
        check_against_preset(model_cfg, config)


def run_condition(cfg: DictConfig, run_dir: Path, choices: dict[str, str] | None = None) -> dict[str, Any]:
    """Run (or skip, if finished) one condition; returns its metrics. Failures are recorded, then raised."""
    from xlt.data.prompts import get_format
    from xlt.data.tasks import build_split, check_needed, tasks_of
    from xlt.models.loading import load_model, load_tokenizer
    from xlt.scoring.labels import resolve_labels
    from xlt.scoring.metrics import summarize
    from xlt.sweep.code_version import code_version
    from xlt.tracking.wandb_run import Tracker

    cond = Condition.from_cfg(cfg)
    apply_strategy_preset(cfg)
    # Built once from the config and passed down: nothing below reads the root config.
    data: DataConf = OmegaConf.to_object(cfg.data)
    run = TrainSettings.from_cfg(cfg)
    engine_conf: EngineConf = OmegaConf.to_object(cfg.engine)
    if engine_conf.name == EngineName.vllm:
        from xlt.engines.vllm import check_servable

        check_servable(cfg.model)  # one line (not installed, architecture, quantization), before any work
    store = ConditionStore(run_dir)
    ckpt = check_loadable(cfg.model)
    check_same_checkpoint(store, ckpt.fingerprint, cond.id)
    if store.done and not cfg.force:
        log.info("condition %s already finished; skipping (force=true redoes it)", cond.id)
        return store.metrics().to_dict()
    task, train_task = tasks_of(cfg)
    check_needed(task, train_task, data, list(cond.source_variants), list(cond.targets), cond.trains)
    if cfg.force and is_rank_zero():  # other ranks replay the same command: never delete rank 0's files
        store.clear()
    info = {"id": cond.id, **cond.tags(), "source_variants": list(cond.source_variants),
            "targets": list(cond.targets), "identity": identity_payload(cfg),
            "checkpoint": dataclasses.asdict(ckpt), "code_version": code_version(),
            "config": OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)}
    if is_rank_zero():
        store.write_condition(info)
    tracker = Tracker(cfg, cond, run_dir, choices)
    try:
        drawn = build_split(task, train_task, data, list(cond.source_variants), list(cond.targets), cond.trains)
        split = drawn.split
        tok = load_tokenizer(run.model)
        verify_preset(run.model)
        fmt = get_format(data.prompt, task.n_labels)
        labels = resolve_labels(tok, fmt.labels)
        if not labels.single_token:
            log.warning("labels %s are not single tokens for this tokenizer: scoring full continuations", fmt.labels)
        # Training loads its own base (partitioned under ZeRO-3); evaluation opens the engine on the base
        # weights + the adapter as saved (vLLM loads its own copy: nothing is loaded for it here).
        model = None if cond.trains or engine_conf.name == EngineName.vllm else load_model(run.model)
        adapter = None
        if cond.trains:  # the training task's own K labels (cross-task: not the evaluated task's)
            train_fmt = get_format(data.prompt, train_task.n_labels)
            train_labels = labels if train_fmt == fmt else resolve_labels(tok, train_fmt.labels)
            adapter = train_or_reuse(run, model, tok, split.train, train_fmt, train_labels, run_dir, tracker, cond)
            model = None
        if cfg.train_only:  # evaluation runs later (e.g. vLLM across nodes: launchers/vllm_ray_eval.sbatch)
            log.info("train_only: adapter saved at %s; %s is not finished", adapter, cond.id)
            tracker.finish(0)
            return {}
        rank, size = rank_world()
        # engine=hf after distributed training: every rank scores a share (xlt.engines.sharded); vLLM
        # runs its own workers from rank 0 (tensor/pipeline parallel over the GPUs of the preset's serve)
        sharded = size > 1 and engine_conf.name == EngineName.hf
        if not is_rank_zero() and not sharded:
            return {}
        release_training_memory()
        evals = cot_subset(split.eval, run.regime.cot_max_items, data.split_seed) if cond.cot else split.eval
        zero3 = eval_partitioned(run) if sharded else None
        engine = open_engine(engine_conf, run.model, tok, model=model, adapter=adapter,
                             batch_size=data.eval_batch_size, prefix_reuse=data.prefix_reuse, seed=run.seed,
                             zero3=zero3)
        if sharded:
            from xlt.engines.partitioned import Lockstep

            engine = ShardedEngine(engine, rank, size,
                                   Lockstep(engine.model, tok.pad_token_id) if zero3 is not None else None)
        try:
            preds = evaluate(engine, tok, evals, cond, fmt, labels, model_cfg=run.model, regime=run.regime,
                             answer_names=task.answer_names)
        finally:
            getattr(engine, "close", lambda: None)()
        if not is_rank_zero():  # rank 0 holds every rank's predictions and writes them
            return {}
        metrics = summarize(preds, n_train=len(split.train), n_labels=task.n_labels, leak=drawn.leak)
        store.write_results(metrics, preds)
        tracker.log_results(metrics, preds)
        tracker.finish(0)
        return metrics.to_dict()
    except BaseException:
        if is_rank_zero():
            store.write_failure(traceback.format_exc())
        tracker.finish(1)
        raise


def train_or_reuse(run: TrainSettings, model, tok, train_items, fmt, labels, run_dir: Path, tracker,
                   cond: Condition) -> Path:
    """Fine-tune (resuming if a checkpoint exists) unless a finished adapter is already on disk; returns
    the adapter folder. Evaluation always uses the adapter as saved (``xlt.engines.open_engine``). ``model``
    may be None: training then loads the base itself (under ZeRO-3 it always does, partitioned)."""
    from xlt.results.store import atomic_write_text
    from xlt.training.fit import finetune

    adapter = run_dir / "adapter"
    if not (adapter / "TRAINED").exists():
        passages = train_passages(train_items, run.seed, cond.format_only)
        finetune(run, model, tok, train_items, fmt, labels, run_dir, tracker.lightning_loggers(), passages)
        if is_rank_zero():
            atomic_write_text(adapter / "TRAINED", "ok\n")
    return adapter

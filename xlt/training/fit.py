"""Fine-tune a model with LoRA under Lightning, resumably, and save the adapter alone."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, Sequence

from xlt.config.schema import RegimeConf
from xlt.data.items import Item
from xlt.data.prompts import PromptFormat
from xlt.scoring.labels import LabelTokens
from xlt.training.adapter import attach_lora, gathered_trainable_state, save_adapter
from xlt.training.examples import build_examples
from xlt.training.loader import ResumableLoader, batch_counter
from xlt.training.memory import MemoryGuard, StepPlan, available_bytes, plan_step
from xlt.training.progress import ProgressLog
from xlt.training.settings import TrainSettings
from xlt.training.strategies import build_strategy, deepspeed_config, zero_stage

log = logging.getLogger(__name__)

__all__ = ["TrainSettings", "attach_lora", "finetune", "make_trainer", "prepare_model", "train_loader"]


def train_loader(examples: Sequence, regime: RegimeConf, pad_id: int, seed: int) -> ResumableLoader:
    """Length-bucketed, rank-sharded, resumable batches over ``examples``."""
    return ResumableLoader(examples, regime.batch_size, seed, pad_id, regime.bucket_by_length)


def prepare_model(run: TrainSettings, model=None):
    """Load (unless given) the base model, enable gradient checkpointing if asked, attach LoRA.

    LoRA initialisation is seeded, so every rank (and a resumed run) starts from the same adapter.
    """
    import torch

    from xlt.models.loading import load_model

    if model is None:
        model = load_model(run.model)
    if run.regime.gradient_checkpointing:
        # Non-reentrant: works with frozen inputs (no enable_input_require_grads needed) and ZeRO-3.
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.config.use_cache = False
    torch.manual_seed(run.seed)
    return attach_lora(model, run.model, run.regime)


class _Zero3Factory:
    """Builds the peft model inside ``configure_model`` (after the process group exists), loading the
    base partitioned: ``HfDeepSpeedConfig`` must be alive during ``from_pretrained`` — without it every
    rank materialises the whole checkpoint. Wrapping ``from_pretrained`` in ``deepspeed.zero.Init``
    fails with transformers 5 (GUIDE)."""

    def __init__(self, run: TrainSettings, ds_config: dict[str, Any]) -> None:
        self.run, self.ds_config = run, ds_config
        self.hf_ds_config = None

    def __call__(self):
        from transformers.integrations import HfDeepSpeedConfig

        self.hf_ds_config = HfDeepSpeedConfig(self.ds_config)  # registered via a weakref: keep it
        return prepare_model(self.run)

    def release(self) -> None:
        """Forget the global ZeRO-3 flag so later ``from_pretrained`` calls (evaluation) load normally."""
        from transformers.integrations.deepspeed import unset_hf_deepspeed_config

        self.hf_ds_config = None
        unset_hf_deepspeed_config()


def make_trainer(run: TrainSettings, run_dir: Path, loggers: list, callbacks: Sequence = (), **overrides: Any):
    """The Lightning Trainer for a condition: checkpoints in the run dir, `last` for resume."""
    import lightning as L
    from lightning.pytorch.callbacks import ModelCheckpoint

    trainer_kwargs = run.trainer_kwargs()
    ckpt = ModelCheckpoint(dirpath=run_dir / "checkpoints", save_last=True, save_top_k=0,
                           every_n_train_steps=run.regime.ckpt_every_n_steps)
    strategy = build_strategy(run.strategy, run.trainer.accelerator, run.regime.batch_size, run.trainer.precision)
    kwargs: dict[str, Any] = dict(
        strategy=strategy,
        max_epochs=run.regime.epochs,
        accumulate_grad_batches=run.regime.grad_accum,
        callbacks=[ckpt, *callbacks],
        logger=loggers,
        default_root_dir=str(run_dir),
        use_distributed_sampler=False,  # the loader shards batches across ranks itself
        num_sanity_val_steps=0,
        enable_model_summary=False,
    )
    if os.environ.get("SUBMITIT_EXECUTOR") == "slurm":
        # submitit owns requeue (USR2 / timeout); Lightning's own SLURM auto-requeue would race it.
        from lightning.pytorch.plugins.environments import SLURMEnvironment

        kwargs["plugins"] = [SLURMEnvironment(auto_requeue=False)]
    kwargs.update(overrides)
    return L.Trainer(**{**trainer_kwargs, **kwargs})


def _total_steps(loader: ResumableLoader, regime: RegimeConf, max_steps: int):
    """Optimizer steps of the whole run, read lazily (the loader's length depends on the world size)."""

    def total() -> int:
        per_epoch = -(-len(loader) // regime.grad_accum)
        steps = per_epoch * regime.epochs
        return min(steps, max_steps) if max_steps and max_steps > 0 else steps

    return total


def plan_memory(run: TrainSettings, seq_len: int) -> StepPlan | None:
    """On CPU: estimate the step's peak memory before training and fit it to this machine (see
    ``xlt.training.memory``); None elsewhere (GPU memory is planned by ``python -m xlt.plan``)."""
    from xlt.models.presets import model_stats

    if run.trainer.accelerator != "cpu":
        return None
    regime = run.regime
    stats = model_stats(run.model, regime.lora.r, regime.lora.alpha)
    devices = int(run.trainer.devices) if str(run.trainer.devices).isdigit() else 1  # processes share memory
    plan = plan_step(stats, regime.batch_size, regime.grad_accum, seq_len, regime.gradient_checkpointing,
                     run.trainer.precision.startswith("bf16"), available_bytes() / devices,
                     adapt=regime.adapt_memory)
    log.info("memory plan (%d tokens at most): %s", seq_len, plan.describe())
    return plan


def with_step_plan(run: TrainSettings, plan: StepPlan) -> TrainSettings:
    """A copy of ``run`` whose regime runs the planned micro-batch, accumulation and checkpointing."""
    return run.with_regime(batch_size=plan.micro_batch, grad_accum=plan.grad_accum,
                           gradient_checkpointing=plan.gradient_checkpointing)


def finetune(run: TrainSettings, model, tok, train_items: Sequence[Item], fmt: PromptFormat,
             labels: LabelTokens, run_dir: Path, loggers: list | None = None,
             passages: Sequence[str] | None = None, *, callbacks: Sequence = (), **trainer_overrides: Any):
    """Train LoRA adapters on ``train_items``; resume from ``run_dir/checkpoints/last.ckpt`` if present.

    ``model`` may be None (loaded here); under ZeRO-3 a given model is ignored and the base is loaded
    partitioned inside the strategy instead. The adapter is saved to ``run_dir/adapter`` by rank 0
    (gathered from all ranks first). Returns the trained peft model in eval mode (under ZeRO-3 its
    weights are still partitioned: reload base + adapter to use it).
    """
    import lightning as L

    from xlt.training.module import LoRAModule

    from xlt.chat import chat_format

    seed = run.seed
    L.seed_everything(seed, workers=True, verbose=False)
    examples = build_examples(tok, train_items, fmt, labels, chat_template=chat_format(run.model, tok),
                              max_length=run.regime.max_length, passages=passages)
    plan = plan_memory(run, max(len(e.input_ids) for e in examples))
    if plan is not None:
        run = with_step_plan(run, plan)
    regime = run.regime
    loader = train_loader(examples, regime, tok.pad_token_id, seed)
    opt_kwargs: dict[str, Any] = dict(lr=regime.lr, weight_decay=regime.weight_decay,
                                      warmup_ratio=regime.warmup_ratio, seed=seed, optimizer=run.strategy.optimizer,
                                      total_steps=_total_steps(loader, regime, trainer_overrides.get("max_steps", -1)))
    factory = None
    if zero_stage(run.strategy) == 3:
        if model is not None:
            log.warning("ZeRO-3: ignoring the preloaded model; loading the base partitioned instead")
            model = None
        factory = _Zero3Factory(run, deepspeed_config(run.strategy, regime.batch_size, run.trainer.precision))
        module = LoRAModule(factory=factory, **opt_kwargs)
    elif model is None:
        module = LoRAModule(factory=lambda: prepare_model(run), **opt_kwargs)
    else:
        module = LoRAModule(prepare_model(run, model), **opt_kwargs)
    progress = ProgressLog(opt_kwargs["total_steps"], name=run_dir.name)
    trainer = make_trainer(run, run_dir, loggers or [], [batch_counter(loader), progress, *callbacks],
                           **trainer_overrides)
    last = run_dir / "checkpoints" / "last.ckpt"
    if last.exists():
        log.info("resuming from %s", last)
    guard = MemoryGuard(plan.limit * 0.95) if plan is not None else contextlib.nullcontext()
    tripped = (lambda: guard.tripped) if isinstance(guard, MemoryGuard) else (lambda: False)
    try:
        try:  # around the `with`: the guard's interrupt may land while it starts or stops, not only in fit
            with guard:
                trainer.fit(module, train_dataloaders=loader, ckpt_path=str(last) if last.exists() else None)
        except (KeyboardInterrupt, SystemExit):  # Lightning exits 1 after an interrupt
            if tripped():
                raise guard.error() from None
            raise
        if tripped():  # Lightning handled the interrupt and returned: the run did not finish
            raise guard.error()
        state = gathered_trainable_state(module.model)  # a collective under DeepSpeed: every rank
        if trainer.is_global_zero:
            save_adapter(module.model, run_dir / "adapter", state)
        trainer.strategy.barrier("adapter saved")
    finally:
        if factory is not None:
            factory.release()
    module.model.eval()
    return module.model

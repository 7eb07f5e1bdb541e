"""Fine-tune a model with LoRA under Lightning, resumably, and save the adapter alone."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Sequence

from omegaconf import DictConfig, OmegaConf

from xlt.data.items import Item
from xlt.data.prompts import PromptFormat
from xlt.scoring.labels import LabelTokens
from xlt.training.examples import Example, build_examples, collate, length_buckets

log = logging.getLogger(__name__)


class LengthBucketSampler:
    """Length-bucketed batches, reshuffled each epoch (deterministic given seed and epoch)."""

    def __init__(self, examples: Sequence[Example], batch_size: int, seed: int, bucket: bool = True):
        self.examples, self.batch_size, self.seed, self.bucket = examples, batch_size, seed, bucket
        self.epoch = 0

    def _batches(self) -> list[list[int]]:
        if self.bucket:
            return length_buckets(self.examples, self.batch_size, self.seed + self.epoch)
        import random

        idx = list(range(len(self.examples)))
        random.Random(self.seed + self.epoch).shuffle(idx)
        return [idx[i:i + self.batch_size] for i in range(0, len(idx), self.batch_size)]

    def __iter__(self):
        batches = self._batches()
        self.epoch += 1
        return iter(batches)

    def __len__(self) -> int:
        return -(-len(self.examples) // self.batch_size)


def attach_lora(model, model_cfg: DictConfig, regime: DictConfig):
    """Wrap ``model`` with peft LoRA on the preset's target modules (and expert parameters)."""
    from peft import LoraConfig, get_peft_model

    kwargs: dict[str, Any] = {}
    if model_cfg.get("lora_target_parameters"):
        kwargs["target_parameters"] = list(model_cfg.lora_target_parameters)
    config = LoraConfig(
        r=int(regime.lora.r), lora_alpha=int(regime.lora.alpha), lora_dropout=float(regime.lora.dropout),
        target_modules=list(model_cfg.lora_targets), task_type="CAUSAL_LM", **kwargs,
    )
    return get_peft_model(model, config)


def train_loader(examples: Sequence[Example], regime: DictConfig, pad_id: int, seed: int):
    """A DataLoader over length-bucketed batches."""
    from torch.utils.data import DataLoader

    sampler = LengthBucketSampler(examples, int(regime.batch_size), seed, bool(regime.get("bucket_by_length", True)))
    return DataLoader(list(examples), batch_sampler=sampler, collate_fn=lambda b: collate(b, pad_id))


def make_trainer(cfg: DictConfig, run_dir: Path, loggers: list):
    """The Lightning Trainer for a condition: checkpoints in the run dir, `last` for resume."""
    import lightning as L
    from lightning.pytorch.callbacks import ModelCheckpoint

    from xlt.training.strategies import build_strategy

    trainer_kwargs = OmegaConf.to_container(cfg.trainer, resolve=True)
    ckpt = ModelCheckpoint(dirpath=run_dir / "checkpoints", save_last=True, save_top_k=0,
                           every_n_train_steps=int(cfg.regime.get("ckpt_every_n_steps", 50)))
    return L.Trainer(
        **trainer_kwargs,
        strategy=build_strategy(cfg.strategy),
        max_epochs=int(cfg.regime.epochs),
        accumulate_grad_batches=int(cfg.regime.grad_accum),
        callbacks=[ckpt],
        logger=loggers,
        default_root_dir=str(run_dir),
        use_distributed_sampler=False,
        num_sanity_val_steps=0,
        enable_model_summary=False,
    )


def finetune(cfg: DictConfig, model, tok, train_items: Sequence[Item], fmt: PromptFormat,
             labels: LabelTokens, run_dir: Path, loggers: list | None = None,
             passages: Sequence[str] | None = None):
    """Train LoRA adapters on ``train_items``; resume from ``run_dir/checkpoints/last.ckpt`` if present.

    Returns the peft model in eval mode; the adapter is saved to ``run_dir/adapter``.
    """
    import lightning as L

    from xlt.training.module import LoRAModule

    regime = cfg.regime
    L.seed_everything(int(cfg.seed), workers=True, verbose=False)
    if regime.get("gradient_checkpointing", False):
        model.gradient_checkpointing_enable()
    peft_model = attach_lora(model, cfg.model, regime)
    examples = build_examples(tok, train_items, fmt, labels, chat_template=bool(cfg.model.chat_template),
                              max_length=int(regime.max_length), passages=passages)
    loader = train_loader(examples, regime, tok.pad_token_id, int(cfg.seed))
    module = LoRAModule(peft_model, lr=float(regime.lr), weight_decay=float(regime.weight_decay),
                        warmup_ratio=float(regime.warmup_ratio))
    trainer = make_trainer(cfg, run_dir, loggers or [])
    last = run_dir / "checkpoints" / "last.ckpt"
    if last.exists():
        log.info("resuming from %s", last)
    trainer.fit(module, train_dataloaders=loader, ckpt_path=str(last) if last.exists() else None)
    if trainer.is_global_zero:
        peft_model.save_pretrained(run_dir / "adapter", safe_serialization=True)
    peft_model.eval()
    return peft_model

"""The LightningModule: a causal LM with peft LoRA adapters, trained on answer tokens only."""

from __future__ import annotations

import math
from typing import Any, Callable

import lightning as L
import torch

from xlt.training.examples import IGNORE


def answer_positions(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Where the loss lives: (rows, cols, keep) with ``labels[rows, cols + 1]`` a label token,
    predicted by the logits at position ``cols``; ``keep`` is the sorted set of those positions."""
    mask = labels[:, 1:] != IGNORE
    rows, cols = mask.nonzero(as_tuple=True)
    return rows, cols, torch.unique(cols)


def answer_only_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy on the label tokens, projecting to the vocabulary only where a label is predicted.

    transformers' ``logits_to_keep`` takes a tensor of sequence positions, shared by the batch's rows:
    the union of every row's answer positions (<= batch x answer length), so the logits tensor is
    [batch, |positions|, vocab] instead of [batch, length, vocab]. Equal to the LM's own mean loss over
    label tokens. Returns (loss, hits) with hits the argmax matches at the label tokens.
    """
    labels = batch["labels"]
    rows, cols, keep = answer_positions(labels)
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    out = model(**inputs, use_cache=False, logits_to_keep=keep)
    picked = out.logits[rows, torch.searchsorted(keep, cols)].float()  # [n_label_tokens, vocab]
    target = labels[rows, cols + 1]
    loss = torch.nn.functional.cross_entropy(picked, target)
    with torch.no_grad():
        hits = (picked.argmax(-1) == target).sum()
    return loss, hits


def full_logit_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """The LM's own loss (logits at every position): the reference ``answer_only_loss`` is checked
    against, and what ``bench/train_throughput.py`` compares it with."""
    out = model(**batch, use_cache=False)
    logits = out.logits[:, :-1]
    target = batch["labels"][:, 1:]
    with torch.no_grad():
        mask = target != IGNORE
        hits = (logits[mask].argmax(-1) == target[mask]).sum()
    return out.loss, hits


LOSSES = {"answer_only": answer_only_loss, "full": full_logit_loss}


class LoRAModule(L.LightningModule):
    """Wraps a (peft) causal LM; the loss is the LM's cross-entropy on the label tokens.

    Either pass the peft model, or a ``factory`` that builds it inside ``configure_model``: under ZeRO-3
    the model must be created after the process group exists, so that it loads partitioned.
    """

    def __init__(self, model: torch.nn.Module | None = None, lr: float = 2e-4, weight_decay: float = 0.0,
                 warmup_ratio: float = 0.0, *, factory: Callable[[], torch.nn.Module] | None = None,
                 seed: int = 0, optimizer: str = "adamw", total_steps: Callable[[], int] | None = None,
                 loss: str = "answer_only") -> None:
        super().__init__()
        if model is None and factory is None:
            raise ValueError("LoRAModule needs a model or a factory")
        self.model = model
        self.factory = factory
        self.lr, self.weight_decay, self.warmup_ratio = lr, weight_decay, warmup_ratio
        self.seed = seed
        self.optimizer_name = optimizer
        self.total_steps = total_steps
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)}")
        self.loss_fn = LOSSES[loss]
        # Checkpoints hold only the trainable (LoRA) weights; the frozen base reloads from its source.
        self.strict_loading = False

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        trainable = {f"model.{n}" for n, p in self.model.named_parameters() if p.requires_grad}
        state = checkpoint.get("state_dict")
        if state is not None:
            checkpoint["state_dict"] = {k: v for k, v in state.items() if k in trainable}

    def forward(self, **batch: torch.Tensor) -> Any:
        return self.model(**batch)

    def configure_model(self) -> None:
        if self.model is None:
            assert self.factory is not None
            self.model = self.factory()
        # from_pretrained leaves the model in eval mode and Lightning does not switch it: train mode
        # now, before fit starts (dropout on; no "modules in eval mode" warning).
        self.model.train()

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        # Dropout masks depend only on (seed, step, rank): a resumed run draws the same ones as an
        # uninterrupted run, whatever consumed the global RNG in between (loader iterators, restarts).
        step = self.trainer.fit_loop.epoch_loop.total_batch_idx  # restored from checkpoints
        torch.manual_seed((self.seed * 1_000_003 + step * 7919 + self.global_rank) % (2**63 - 1))

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        # Batches are right-padded (xlt.training.examples.collate): a plain causal mask already keeps
        # every real token from seeing padding, and without an explicit mask SDPA takes its fused
        # causal kernel instead of materialising [batch, heads, length, length] scores.
        batch = {k: v for k, v in batch.items() if k != "attention_mask"}
        loss, hits = self.loss_fn(self.model, batch)
        acc = hits / (batch["labels"][:, 1:] != IGNORE).sum().clamp(min=1)
        n = batch["input_ids"].shape[0]
        self.log("train/loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=n, sync_dist=True)
        self.log("train/label_acc", acc, prog_bar=True, on_step=False, on_epoch=True, batch_size=n, sync_dist=True)
        return loss

    def configure_optimizers(self):
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.optimizer_name == "deepspeed_cpu_adam":  # ZeRO offload: Adam step on host (JIT-compiled op)
            from deepspeed.ops.adam import DeepSpeedCPUAdam

            opt = DeepSpeedCPUAdam(params, lr=self.lr, weight_decay=self.weight_decay, adamw_mode=True)
        else:
            opt = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        # trainer.estimated_stepping_batches would set up (and iterate) the train loader before a
        # checkpoint is restored, so a resumable loader's position would never be loaded.
        total = self.total_steps() if self.total_steps else int(self.trainer.estimated_stepping_batches)
        total = max(1, total)
        warmup = int(math.ceil(self.warmup_ratio * total))

        def schedule(step: int) -> float:  # linear warmup, then linear decay to 10 %
            if step < warmup:
                return (step + 1) / warmup
            return max(0.1, 1.0 - 0.9 * (step - warmup) / max(1, total - warmup))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

"""The LightningModule: a causal LM with peft LoRA adapters, trained on answer tokens only."""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import torch


class LoRAModule(L.LightningModule):
    """Wraps a (peft) causal LM; the loss is the LM's cross-entropy on the label tokens."""

    def __init__(self, model: torch.nn.Module, lr: float, weight_decay: float = 0.0,
                 warmup_ratio: float = 0.0) -> None:
        super().__init__()
        self.model = model
        self.lr = lr
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        # Checkpoints hold only the trainable (LoRA) weights; the frozen base reloads from its source.
        self.strict_loading = False

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        trainable = {f"model.{n}" for n, p in self.model.named_parameters() if p.requires_grad}
        state = checkpoint.get("state_dict")
        if state is not None:
            checkpoint["state_dict"] = {k: v for k, v in state.items() if k in trainable}

    def forward(self, **batch: torch.Tensor) -> Any:
        return self.model(**batch)

    def on_train_start(self) -> None:
        # from_pretrained leaves the model in eval mode and Lightning does not switch it (dropout).
        self.model.train()

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        out = self.model(**batch, use_cache=False)
        logits = out.logits[:, :-1].float()
        target = batch["labels"][:, 1:]
        hits = (logits.argmax(-1) == target) & (target != -100)
        n_label = (target != -100).sum().clamp(min=1)
        self.log("train/loss", out.loss, prog_bar=True, on_step=True, on_epoch=True,
                 batch_size=batch["input_ids"].shape[0])
        self.log("train/label_acc", hits.sum() / n_label, prog_bar=True, on_step=False, on_epoch=True,
                 batch_size=batch["input_ids"].shape[0])
        return out.loss

    def configure_optimizers(self):
        params = [p for p in self.model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        warmup = int(math.ceil(self.warmup_ratio * total))

        def schedule(step: int) -> float:  # linear warmup, then linear decay to 10 %
            if step < warmup:
                return (step + 1) / warmup
            return max(0.1, 1.0 - 0.9 * (step - warmup) / max(1, total - warmup))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

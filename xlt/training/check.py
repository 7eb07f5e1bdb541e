"""Train a preset on the learnable fixture and report whether it learned (a smoke check for any strategy).

    python -m xlt.training.check --out /tmp/c.json model=tiny strategy=deepspeed_zero3 trainer.devices=2

Trailing arguments are Hydra overrides of the root config. Multi-process strategies re-execute this
command for every extra rank (Lightning's launcher); only rank 0 evaluates and writes ``--out``:
label accuracy on the training items before and after training, per-step and per-epoch losses, and
the names of the modules that got LoRA.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

# The learnable setting: higher lr than the paper's uniform setting, small rank, no dropout.
LEARN_OVERRIDES = ["regime=finetune", "regime.lr=5e-3", "regime.lora.r=8", "regime.lora.alpha=16",
                   "regime.lora.dropout=0.0", "regime.epochs=30", "regime.batch_size=4", "regime.warmup_ratio=0.0",
                   "regime.max_length=256", "trainer.enable_progress_bar=false", "logger=none"]


def learnable_config(overrides: list[str]):
    """The root config with the learnable defaults, then ``overrides`` (a later override wins)."""
    from xlt.config.compose import compose

    return compose([*LEARN_OVERRIDES, *overrides])


def accuracy(model, tok, items, fmt, labels) -> float:
    """Share of items whose gold label gets the highest log-probability."""
    import torch

    from xlt.scoring.scorer import score_items

    with torch.no_grad():
        preds = score_items(model, tok, items, fmt, labels=labels, batch_size=8, prefix_reuse=False)
    return sum(p.correct for p in preds) / len(preds)


def _loss_recorder():
    from lightning.pytorch.callbacks import Callback

    class LossRecorder(Callback):
        def __init__(self) -> None:
            self.steps: list[float] = []
            self.epochs: list[float] = []

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            self.steps.append(float(outputs["loss"]))

        def on_train_epoch_end(self, trainer, pl_module) -> None:
            self.epochs.append(float(trainer.callback_metrics["train/loss_epoch"]))

    return LossRecorder()


def _partition_probe():
    """Records, once the model exists on this rank, how much of the frozen base it holds locally."""
    from lightning.pytorch.callbacks import Callback

    class PartitionProbe(Callback):
        stats: dict[str, int] = {}

        def on_fit_start(self, trainer, pl_module) -> None:
            frozen = [p for p in pl_module.model.parameters() if not p.requires_grad]
            self.stats = {
                "frozen_tensors": len(frozen),
                "partitioned_tensors": sum(hasattr(p, "ds_id") for p in frozen),
                "full_numel": sum(int(getattr(p, "ds_numel", p.numel())) for p in frozen),
                "local_numel": sum(int(p.ds_tensor.numel()) if hasattr(p, "ds_tensor") else p.numel() for p in frozen),
                "materialised_numel": sum(p.data.numel() for p in frozen),
            }

    return PartitionProbe()


def adapter_stats(adapter_dir: Path) -> dict[str, Any]:
    """Tensor count, element count and the smallest lora_B norm of a saved adapter."""
    from safetensors.torch import load_file

    from xlt.training.adapter import ADAPTER_FILE

    state = load_file(str(adapter_dir / ADAPTER_FILE))
    b_norms = [float(t.norm()) for k, t in state.items() if "lora_B" in k]
    return {"tensors": len(state), "numel": sum(t.numel() for t in state.values()),
            "min_numel": min(t.numel() for t in state.values()), "min_lora_B_norm": min(b_norms) if b_norms else 0.0}


def run(cfg, run_dir: Path, n_items: int = 32) -> dict[str, Any] | None:
    """Train on the learnable fixture; rank 0 returns the report, other ranks None."""
    import torch

    from xlt.data.prompts import get_format
    from xlt.models.loading import load_model, load_tokenizer
    from xlt.ranks import is_rank_zero
    from xlt.scoring.labels import resolve_labels
    from xlt.training.adapter import lora_module_names
    from xlt.training.fit import TrainSettings, finetune
    from xlt.training.learnable import learnable_items

    torch.set_num_threads(max(1, (os.cpu_count() or 2) // int(cfg.trainer.devices)))
    items = learnable_items(n_items, seed=int(cfg.seed))
    tok = load_tokenizer(cfg.model)
    fmt = get_format(cfg.data.prompt)
    labels = resolve_labels(tok, fmt.labels)
    before = accuracy(load_model(cfg.model), tok, items, fmt, labels) if is_rank_zero() else None
    rec, probe = _loss_recorder(), _partition_probe()
    t0 = time.perf_counter()
    trained = finetune(TrainSettings.from_cfg(cfg), None, tok, items, fmt, labels, run_dir, callbacks=[rec, probe])
    seconds = time.perf_counter() - t0
    if not is_rank_zero():
        return None
    from peft import PeftModel

    names = lora_module_names(trained)
    reloaded = PeftModel.from_pretrained(load_model(cfg.model), run_dir / "adapter").eval()
    return {"before": before, "after": accuracy(reloaded, tok, items, fmt, labels), "step_losses": rec.steps,
            "epoch_losses": rec.epochs, "lora_modules": names, "partition": probe.stats,
            "adapter": adapter_stats(run_dir / "adapter"), "train_seconds": seconds,
            "strategy": str(cfg.strategy.name), "stage": cfg.strategy.stage,
            "devices": int(cfg.trainer.devices)}


def main(argv: list[str] | None = None) -> None:
    """CLI entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="JSON report (written by rank 0)")
    parser.add_argument("--run-dir", default=None, help="checkpoints + adapter (default: beside --out)")
    parser.add_argument("--items", type=int, default=32)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args(argv)
    out = Path(args.out)
    run_dir = Path(args.run_dir) if args.run_dir else out.with_suffix("")
    report = run(learnable_config(args.overrides), run_dir, args.items)
    if report is not None:
        out.write_text(json.dumps(report, indent=1))
        print(json.dumps({k: v for k, v in report.items() if k not in ("step_losses", "lora_modules")}))


if __name__ == "__main__":
    main()

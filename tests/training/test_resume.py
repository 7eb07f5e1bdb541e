"""Resume: a run stopped mid-epoch and resumed from last.ckpt ends with the same adapter as an
uninterrupted run (same seed; dropout on, so the per-step RNG must be reproduced too)."""

from __future__ import annotations

import pytest
import torch


class Stop(Exception):
    """Simulated preemption."""


def _stop_after(n_steps: int):
    from lightning.pytorch.callbacks import Callback

    class StopAfter(Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            if trainer.global_step >= n_steps:
                raise Stop(f"stopped after {n_steps} steps")

    return StopAfter()


def _adapter(run_dir):
    from safetensors.torch import load_file

    from xlt.training.adapter import ADAPTER_FILE

    return load_file(str(run_dir / "adapter" / ADAPTER_FILE))


def test_resumed_run_reaches_the_uninterrupted_adapter(learn_cfg, tmp_path):
    from xlt.data.prompts import get_format
    from xlt.models.loading import load_tokenizer
    from xlt.scoring.labels import resolve_labels
    from xlt.training.fit import finetune
    from xlt.training.learnable import learnable_items

    # 24 items / batch 4 = 6 steps per epoch, 2 epochs; checkpoints every 4 steps; warmup + decay on.
    cfg = learn_cfg("model=tiny", "regime.lora.dropout=0.1", "regime.batch_size=4", "regime.epochs=2",
                    "regime.ckpt_every_n_steps=4", "regime.warmup_ratio=0.2")
    tok, fmt = load_tokenizer(cfg.model), get_format("numbered")
    labels = resolve_labels(tok, fmt.labels)
    items = learnable_items(24)
    finetune(cfg, None, tok, items, fmt, labels, tmp_path / "full")
    with pytest.raises(Stop):  # stopped at step 9: last.ckpt is from step 8, mid-epoch 2
        finetune(cfg, None, tok, items, fmt, labels, tmp_path / "cut", callbacks=[_stop_after(9)])
    assert (tmp_path / "cut" / "checkpoints" / "last.ckpt").exists()
    assert not (tmp_path / "cut" / "adapter").exists()
    finetune(cfg, None, tok, items, fmt, labels, tmp_path / "cut")
    full, cut = _adapter(tmp_path / "full"), _adapter(tmp_path / "cut")
    assert full.keys() == cut.keys()
    worst = max(float((full[k] - cut[k]).abs().max()) for k in full)
    assert worst < 1e-5, worst
    assert max(float(t.abs().max()) for k, t in full.items() if "lora_B" in k) > 1e-3  # it trained

"""Resume: a run stopped mid-epoch and resumed from last.ckpt ends with the same adapter as an
uninterrupted run (same seed; dropout on, so the per-step RNG must be reproduced too)."""

from __future__ import annotations

import pytest


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


@pytest.mark.parametrize("every, stop", [(4, 9), (6, 7)], ids=["mid-epoch", "epoch-boundary"])
def test_resumed_run_reaches_the_uninterrupted_adapter(learn_cfg, tmp_path, every, stop):
    from xlt.data.prompts import get_format
    from xlt.models.loading import load_tokenizer
    from xlt.scoring.labels import resolve_labels
    from xlt.training.fit import TrainSettings, finetune
    from xlt.training.learnable import learnable_items

    # 24 items / batch 4 = 6 steps per epoch, 2 epochs; warmup + decay on. Checkpoints every 4 steps
    # (stopped at 9: resume from step 8, mid-epoch 2) or every 6 (stopped at 7: resume from step 6, the
    # last batch of epoch 1, where an off-by-one in the restored epoch would skip epoch 2).
    cfg = learn_cfg("model=tiny", "regime.lora.dropout=0.1", "regime.batch_size=4", "regime.epochs=2",
                    f"regime.ckpt_every_n_steps={every}", "regime.warmup_ratio=0.2")
    tok, fmt = load_tokenizer(cfg.model), get_format("numbered")
    labels = resolve_labels(tok, fmt.labels)
    items = learnable_items(24)
    finetune(TrainSettings.from_cfg(cfg), None, tok, items, fmt, labels, tmp_path / "full")
    with pytest.raises(Stop):
        finetune(TrainSettings.from_cfg(cfg), None, tok, items, fmt, labels, tmp_path / "cut", callbacks=[_stop_after(stop)])
    assert (tmp_path / "cut" / "checkpoints" / "last.ckpt").exists()
    assert not (tmp_path / "cut" / "adapter").exists()
    finetune(TrainSettings.from_cfg(cfg), None, tok, items, fmt, labels, tmp_path / "cut")
    full, cut = _adapter(tmp_path / "full"), _adapter(tmp_path / "cut")
    assert full.keys() == cut.keys()
    worst = max(float((full[k] - cut[k]).abs().max()) for k in full)
    assert worst < 1e-5, worst
    assert max(float(t.abs().max()) for k, t in full.items() if "lora_B" in k) > 1e-3  # it trained

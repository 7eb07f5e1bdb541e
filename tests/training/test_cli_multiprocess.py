"""The 2-process DeepSpeed path through the real CLI: rank 1 trains but writes no results; rank 0 evaluates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_xlt_train_zero2_two_processes(tmp_path):
    env = {**os.environ, "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, "-m", "xlt.train", "model=tiny", "regime=finetune", "strategy=deepspeed_zero2",
           "trainer.devices=2", f"output_root={tmp_path}", "sweep_name=ds", "logger=none", "data.n_eval=4",
           "targets=[arb_Arab,heb_Hebr]", "regime.epochs=1", "trainer.enable_progress_bar=false"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    (run,) = [d for d in (tmp_path / "ds").iterdir() if d.is_dir()]
    assert (run / "DONE").exists() and (run / "adapter" / "TRAINED").exists()
    assert (run / "checkpoints" / "last.ckpt" / "checkpoint").is_dir()  # a DeepSpeed checkpoint directory
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["accuracy"]) == {"arb_Arab", "heb_Hebr"}
    assert out.count("mean accuracy") == 1  # only rank 0 evaluated and reported
    assert len(set((run / "predictions.jsonl").read_text().splitlines())) == len(
        (run / "predictions.jsonl").read_text().splitlines())

"""Trained conditions get their zero-shot baseline added, once per model and data setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def dry_run(*overrides: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-m", "xlt.train", "-m", "dry_run=true", "logger=none", *overrides],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [line.split("\t")[1] for line in proc.stdout.splitlines() if line.startswith(("todo\t", "done\t"))]


def test_finetune_only_sweep_gets_one_baseline_per_model():
    ids = dry_run("model=tiny,tiny_qwen3", "lang=ar,he", "regime=finetune", "seed=0,1")
    baselines = [i for i in ids if "-zero_shot-" in i]
    assert sorted(b.split("-")[0] for b in baselines) == ["tiny", "tiny_qwen3"]
    assert ids[:2] == baselines  # baselines are planned first
    assert len(ids) == 2 + 2 * 2 * 2


def test_baselines_can_be_turned_off_and_are_not_duplicated():
    assert not [i for i in dry_run("regime=finetune", "hydra.sweeper.add_baselines=false") if "zero_shot" in i]
    ids = dry_run("regime=zero_shot,finetune", "seed=0,1")
    assert sum("zero_shot" in i for i in ids) == 1 and len(ids) == 3

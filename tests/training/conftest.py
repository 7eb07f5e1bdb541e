"""Helpers for the training tests: learnable configs, and the check CLI in a subprocess (multi-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# DeepSpeed JIT-compiles ops (shm comm ~23 s) once into the project cache, not into ~/.cache.
os.environ.setdefault("TORCH_EXTENSIONS_DIR", str(ROOT / ".cache" / "torch_extensions"))


@pytest.fixture
def learn_cfg():
    """learn_cfg(*overrides) -> root config with the learnable-fixture training defaults."""
    from xlt.training.check import learnable_config

    return lambda *overrides: learnable_config(list(overrides))


def run_check(tmp_path: Path, *overrides: str, timeout: int = 900) -> dict:
    """Run ``python -m xlt.training.check`` (Lightning re-executes it for rank 1) and read rank 0's report."""
    out = tmp_path / "report.json"
    env = {**os.environ, "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, "-m", "xlt.training.check", "--out", str(out), *overrides]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not out.exists():
        raise AssertionError(f"exit {proc.returncode}\nSTDOUT:\n{proc.stdout[-3000:]}\nSTDERR:\n{proc.stderr[-6000:]}")
    return json.loads(out.read_text())

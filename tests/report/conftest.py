"""Synthetic sweeps (simulated item outcomes written in the results-store layout) and their reports."""

from __future__ import annotations

from dataclasses import replace

import pytest
from synth import PAPER_SPEC, synthetic_sweep

from xlt.report.__main__ import main


@pytest.fixture(scope="session")
def full_report(tmp_path_factory):
    """4 models, paper panel, 100 items, zero_shot + cot + finetune x 2 seeds: every section estimable."""
    sweep = synthetic_sweep(tmp_path_factory.mktemp("full"))
    assert main([str(sweep), "--power-sims", "100"]) == 0
    return sweep / "report"


@pytest.fixture(scope="session")
def demo_like_report(tmp_path_factory):
    """Like `make demo`: 1 model, zero_shot + finetune, 7 targets, 12 items each."""
    spec = replace(PAPER_SPEC, n_models=1, n_items=12, cot_effect=None)
    sweep = synthetic_sweep(tmp_path_factory.mktemp("demo"), spec, seeds=1, regimes=("zero_shot", "finetune"),
                            sweep_name="demo")
    assert main([str(sweep), "--power-sims", "100"]) == 0
    return sweep / "report"


@pytest.fixture(scope="session")
def chromium():
    """Path of Chromium, installed with apt-get once if missing (like the SLURM fixture installs slurm).

    Skips, with the reason, only when the machine cannot install it (not root, no apt-get)."""
    import os
    import shutil
    import subprocess

    from xlt.report.browser import find_chromium

    exe = find_chromium()
    if exe:
        return exe
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium missing and cannot be installed here (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
    if subprocess.run(cmd, env=env, capture_output=True, timeout=900).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"apt-get install chromium failed: {done.stderr[-2000:]}"
    exe = find_chromium()
    assert exe, "chromium installed but not on PATH"
    return exe

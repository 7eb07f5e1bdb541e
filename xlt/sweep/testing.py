"""Helpers for tests that drive whole sweeps through the CLI (local and SLURM) and compare results.

Kept in the package (like ``numpy.testing``) so the sweep tests and the SLURM launcher tests share one
definition of the small conditions and of "the same results".
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from xlt.results.store import finished

ROOT = Path(__file__).resolve().parents[2]

# Small but real: fine-tuning takes STEPS optimizer steps (6 source variants x 1 item, batch 2, 40 epochs),
# checkpointing after each, so an interrupted run has many checkpoints to resume from, and a kill or a
# requeue lands mid-run even on an idle machine (a few seconds of training).
STEPS = 120
SMALL = ("model=tiny", "logger=none", "data.n_eval=4", "targets=[arb_Arab,heb_Hebr]", "data.n_train=1",
         "regime.batch_size=2", "regime.epochs=40", "regime.ckpt_every_n_steps=1")
# The reference pair: a baseline and a fine-tuned condition (two condition ids).
PAIR = (*SMALL, "regime=zero_shot,finetune")
# A resumed run reproduces the uninterrupted one: the loader position is restored and dropout is reseeded
# from (seed, step, rank) at every step (xlt.training.module). Predictions must be identical.
LOGPROB_ATOL = 1e-4  # thread counts differ between a SLURM job and the local reference run


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """os.environ for a sweep subprocess: offline, unbuffered."""
    return {**os.environ, "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", **(extra or {})}


def cli_cmd(args: Sequence[str], output_root: Path) -> list[str]:
    """``python -m xlt.train -m <args> output_root=...``."""
    return [sys.executable, "-m", "xlt.train", "-m", f"output_root={output_root}", *args]


def run_cli(args: Sequence[str], output_root: Path, *, env: Mapping[str, str] | None = None, check: bool = True,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a sweep to the end; with ``check`` fail with its output tails on a non-zero exit."""
    proc = subprocess.run(cli_cmd(args, output_root), cwd=ROOT, env=cli_env(env), capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nSTDOUT:\n{proc.stdout[-3000:]}\nSTDERR:\n{proc.stderr[-6000:]}")
    return proc


def start_cli(args: Sequence[str], output_root: Path, log: Path, *, env: Mapping[str, str] | None = None
              ) -> subprocess.Popen:
    """Start a sweep in its own process group (so a test can kill the whole tree), output to ``log``."""
    with log.open("w") as fh:
        return subprocess.Popen(cli_cmd(args, output_root), cwd=ROOT, env=cli_env(env), stdout=fh,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None, poll: float = 0.2) -> None:
    """Poll until ``predicate()``; fail naming ``what`` on timeout or if ``proc`` exits first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"sweep exited ({proc.returncode}) before: {what}")
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for: {what}")


def read_results(sweep_dir: Path) -> dict[str, dict[str, Any]]:
    """Every finished condition: id -> {"metrics", "predictions"} (through the store, DONE only)."""
    return {s.dir.name: {"metrics": s.metrics().to_dict(), "predictions": s.predictions()} for s in finished(sweep_dir)}


def assert_same_results(got: Mapping[str, dict], want: Mapping[str, dict], atol: float = LOGPROB_ATOL) -> None:
    """Same conditions; per condition identical items, predictions and accuracies; log-probs within atol."""
    assert sorted(got) == sorted(want)
    for cid in want:
        a, b = got[cid]["predictions"], want[cid]["predictions"]
        key = [(p["lang"], p["link"], p["question_number"]) for p in a]
        assert key == [(p["lang"], p["link"], p["question_number"]) for p in b], cid
        assert [p["pred"] for p in a] == [p["pred"] for p in b], cid
        worst = max(abs(x - y) for p, q in zip(a, b) for x, y in zip(p["logprobs"], q["logprobs"]))
        assert worst <= atol, f"{cid}: log-probs differ by up to {worst:.2e} (> {atol})"
        assert got[cid]["metrics"]["accuracy"] == want[cid]["metrics"]["accuracy"], cid


def reference_sweep(root: Path) -> Path:
    """The PAIR sweep run uninterrupted with the local launcher under ``root`` (idempotent: a finished
    sweep is skipped, so fixtures in several test folders can share one directory)."""
    run_cli(["sweep_name=reference", *PAIR], root)
    return root / "reference"


def checkpoint_step(path: Path) -> int:
    """The global step a Lightning checkpoint was saved at."""
    import torch

    return int(torch.load(path, map_location="cpu", weights_only=False)["global_step"])


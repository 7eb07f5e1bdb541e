"""The sweep snapshot, written at submit time: queued jobs read code and config from disk when
they start, so record exactly what was submitted."""

from __future__ import annotations

import datetime as _dt
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

from xlt.results.store import atomic_write_json

# The checkout the running code comes from (not the caller's cwd): that is what queued jobs will import.
CODE_DIR = Path(__file__).resolve().parents[2]
PACKAGES = ("xlt", "torch", "transformers", "peft", "lightning", "deepspeed", "wandb", "hydra-core",
            "omegaconf", "submitit", "hydra-submitit-launcher", "datasets", "statsmodels")


def git_state(cwd: Path | None = None) -> dict[str, Any]:
    """HEAD sha and whether the work tree had uncommitted changes (None outside a git checkout)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()

    try:
        return {"sha": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.CalledProcessError):
        return {"sha": None, "dirty": None}


def versions() -> dict[str, str | None]:
    """Installed versions of the packages that change results."""
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def write_snapshot(sweep_dir: Path, jobs: Sequence[dict[str, Any]], skipped: Sequence[str]) -> Path:
    """Write ``sweep.json`` (latest) and ``snapshots/<utc time>.json`` (history) into the sweep dir."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    snap = {"created_utc": now, "argv": sys.argv, "git": git_state(CODE_DIR), "versions": versions(),
            "python": sys.version.split()[0], "conditions": list(jobs), "skipped_finished": list(skipped)}
    atomic_write_json(sweep_dir / "snapshots" / f"{now}.json", snap)
    atomic_write_json(sweep_dir / "sweep.json", snap)
    return sweep_dir / "sweep.json"

"""Jobs a sweep has in a cluster queue, so a re-run waits on them instead of submitting them twice.

The sweep process can die (Ctrl-C, a lost login node) while its SLURM jobs queue or run on. Each
submission is recorded in ``<sweep dir>/.submitit/inflight.json`` (condition id -> job id). A re-run
asks ``squeue`` (live, unlike accounting, which may lag) which of those jobs still exist; a condition
whose job is still queued or running is *adopted*: waited on and collected like a fresh submission.
Finished conditions never reach here (their DONE marker skips them first).
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path
from typing import Iterable

from xlt.results.store import atomic_write_json

log = logging.getLogger(__name__)


def registry_path(sweep_dir: Path) -> Path:
    """Where the condition -> job id record of a sweep lives."""
    return Path(sweep_dir) / ".submitit" / "inflight.json"


def read(sweep_dir: Path) -> dict[str, str]:
    """condition id -> the last SLURM job id submitted for it ({} when none or unreadable)."""
    try:
        data = json.loads(registry_path(sweep_dir).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def record(sweep_dir: Path, submitted: Iterable[tuple[str, str]]) -> None:
    """Add (condition id, job id) pairs to the record (atomically: a killed sweep leaves the old one)."""
    data = read(sweep_dir)
    data.update(dict(submitted))
    path = registry_path(sweep_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, data)


def live_jobs(job_ids: Iterable[str]) -> dict[str, str]:
    """job id -> state for the jobs ``squeue`` still lists (pending, running, requeued, ...)."""
    ids = sorted(set(job_ids))
    if not ids:
        return {}
    try:
        out = subprocess.run(["squeue", "-h", "-r", "-j", ",".join(ids), "-o", "%i %T"], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        log.warning("cannot ask squeue (%s): its jobs count as gone (not adopted, not waited on)", err)
        return {}
    # -r: one line per array task (a pending array is otherwise one "12_[0-3]" line); squeue exits
    # non-zero when none of the ids is known any more: that is "none live".
    states = dict(line.split(maxsplit=1) for line in out.stdout.splitlines() if len(line.split()) == 2)
    return {job: states[job] for job in ids if job in states}

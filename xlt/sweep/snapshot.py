"""The sweep snapshot, written at submit time: what was submitted (``sweep.json``) and, for queued
jobs, a frozen copy of the code they run (``freeze_code``).

A SLURM job starts when the queue lets it, maybe hours later, and a requeued one starts again: without a
copy it would import whatever the checkout holds by then. ``freeze_code`` copies the checkout with
submitit's ``RsyncSnapshot`` (a shallow clone of HEAD, then the working tree's tracked files rsynced over
it, so uncommitted changes are in; untracked code files are passed as ``include``). It was chosen over a
``git worktree`` because a worktree holds committed code only (the diff and new files would have to be
applied by hand) and registers itself in the shared repository's ``.git``. The job config itself is
composed at submit time and pickled with the job (``hydra_plugins.xlt_launcher``), so ``conf/`` is frozen too.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

from xlt.results.store import atomic_write_json
from xlt.sweep.code_version import CODE_DIR, code_files, code_version, describe, git, untracked_code_files

log = logging.getLogger(__name__)
PACKAGES = ("xlt", "torch", "transformers", "peft", "lightning", "deepspeed", "wandb", "hydra-core",
            "omegaconf", "submitit", "hydra-submitit-launcher", "datasets", "statsmodels")


def git_state(cwd: Path | None = None) -> dict[str, Any]:
    """HEAD sha and whether the work tree had uncommitted changes (None outside a git checkout)."""
    try:
        return {"sha": git(cwd or Path.cwd(), "rev-parse", "HEAD").strip(),
                "dirty": bool(git(cwd or Path.cwd(), "status", "--porcelain").strip())}
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


def write_snapshot(sweep_dir: Path, jobs: Sequence[dict[str, Any]], skipped: Sequence[str],
                   code: dict[str, Any] | None = None) -> Path:
    """Write ``sweep.json`` (latest) and ``snapshots/<utc time>.json`` (history) into the sweep dir."""
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    snap = {"created_utc": now, "argv": sys.argv, "git": git_state(CODE_DIR), "code": code or code_version(),
            "versions": versions(), "python": sys.version.split()[0], "conditions": list(jobs),
            "skipped_finished": list(skipped)}
    atomic_write_json(sweep_dir / "snapshots" / f"{now}.json", snap)
    atomic_write_json(sweep_dir / "sweep.json", snap)
    return sweep_dir / "sweep.json"


def _match_code_files(root: Path, copy: Path) -> None:
    """Make the copy's code files byte-equal to ``root``'s. rsync's quick check (size and mtime to the second)
    keeps the clone's HEAD version of a file edited in the second it was checked out, and the clone still
    holds files deleted with ``git rm`` since HEAD."""
    want = code_files(root)
    for rel in want:
        src, dst = root / rel, copy / rel
        if not dst.is_file() or dst.read_bytes() != src.read_bytes():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    for rel in set(code_files(copy)) - set(want):
        (copy / rel).unlink()


def freeze_code(dest: Path, root: Path = CODE_DIR) -> Path | None:
    """A frozen copy of the code under ``root`` at ``dest/<code id>`` (reused when it exists: same id, same
    files). None outside a git checkout: RsyncSnapshot copies what git tracks, so there jobs run the
    installed code as it is when they start (logged)."""
    from submitit.helpers import RsyncSnapshot

    version = code_version(root)
    if version["source"] != "git":
        log.warning("%s is not a git checkout: the code of queued jobs is not frozen (they import it when "
                    "they start)", root)
        return None
    target = Path(dest).resolve() / version["id"]
    if target.is_dir():
        return target
    tmp = target.with_name(f".{version['id']}.{os.getpid()}.tmp")
    try:
        # Enter copies (and chdirs there, for jobs meant to start in the copy); xlt jobs keep the submitter's
        # cwd, where relative paths of the config resolve, and import the copy through PYTHONPATH instead.
        with RsyncSnapshot(tmp, root_dir=root, include=untracked_code_files(root)):
            pass
        _match_code_files(root, tmp)
        frozen = code_version(tmp)
        if frozen["id"] != version["id"]:
            log.warning("the code changed while it was being frozen: jobs run %s, not %s", describe(frozen),
                        describe(version))
            target = target.with_name(frozen["id"])
        if target.is_dir():   # another submitter froze the same code meanwhile
            shutil.rmtree(tmp)
        else:
            tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("jobs run the code frozen in %s (%s)", target, describe(frozen))
    return target

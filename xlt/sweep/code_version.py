"""Which code a condition was computed with, and a sweep that would mix two of them.

``code_version()`` identifies the code jobs run: the files under ``xlt/``, ``conf/`` and ``hydra_plugins/``
(what is imported and composed; tests, docs and benchmarks do not change results). Its ``id`` hashes their
content, so committing a change as it is, or a commit that touches only docs, keeps the id; the git HEAD
sha and a hash of the uncommitted part (``git diff HEAD`` of those folders plus their untracked, not
ignored files) are recorded next to it to say where the code came from. Outside a git checkout (an
installed package) the same files are found by walking the folders, bytecode and build metadata left out,
and ``source`` says ``files``.

The pipeline records it in ``condition.json``; before anything runs, the sweeper refuses a sweep whose
finished conditions were written by another code version (``check_finished``) unless
``allow_code_change=true``: skipping them would put results of two code versions in one report.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
from pathlib import Path
from typing import Any, Iterable, Sequence

log = logging.getLogger(__name__)
# The checkout (or install root) the running code comes from: a SLURM job run from a frozen copy reports
# the copy (xlt.sweep.snapshot.freeze_code).
CODE_DIR = Path(__file__).resolve().parents[2]
CODE_PATHS = ("xlt", "conf", "hydra_plugins")
_NOT_CODE = ("__pycache__", ".egg-info", ".pyc")  # what .gitignore ignores under CODE_PATHS
SHOW = 5  # conditions named per code version in a refusal; the rest are counted


class CodeChanged(ValueError):
    """Finished conditions of the sweep were computed with other code; nothing was launched."""


def git(root: Path, *args: str) -> str:
    """``git -C root <args>``'s stdout; raises OSError / CalledProcessError outside a checkout."""
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def untracked_code_files(root: Path) -> list[str]:
    """Code files git does not track and does not ignore (new modules not yet added), relative to ``root``."""
    return sorted(f for f in git(root, "ls-files", "-o", "--exclude-standard", "-z", "--", *CODE_PATHS).split("\0")
                  if f)


def code_files(root: Path) -> list[str]:
    """The code files under ``root``, relative and sorted: in a git checkout those tracked or untracked but
    not ignored, else every file but bytecode and build metadata (what .gitignore leaves out)."""
    try:
        files = git(root, "ls-files", "-co", "--exclude-standard", "-z", "--", *CODE_PATHS).split("\0")
    except (OSError, subprocess.CalledProcessError):
        files = [str(p.relative_to(root)) for name in CODE_PATHS for p in (root / name).rglob("*")
                 if not any(part.endswith(_NOT_CODE) for part in p.parts)]
    return sorted(f for f in files if f and (root / f).is_file())  # a deleted tracked file is not code


def _origin(root: Path) -> tuple[str | None, str | None]:
    """(HEAD sha, hash of the uncommitted part of the code or None when clean); (None, None) outside git."""
    try:
        sha = git(root, "rev-parse", "HEAD").strip()
        diff = subprocess.run(["git", "diff", "HEAD", "--binary", "--", *CODE_PATHS], cwd=root,
                              capture_output=True, check=True).stdout
        untracked = untracked_code_files(root)
    except (OSError, subprocess.CalledProcessError):
        return None, None
    if not diff and not untracked:
        return sha, None
    h = hashlib.sha256(diff)
    _hash_files(h, root, untracked)
    return sha, h.hexdigest()[:16]


def _hash_files(h: Any, root: Path, files: Iterable[str]) -> None:
    for rel in files:
        data = (root / rel).read_bytes()
        h.update(f"{rel}\0{len(data)}\0".encode())
        h.update(data)


def code_version(root: Path | None = None) -> dict[str, Any]:
    """``{"id", "git_sha", "uncommitted", "source", "root"}`` of the code under ``root`` (default: this one).

    ``id`` (16 hex) is what runs are compared by; ``uncommitted`` is None for a clean checkout."""
    root = Path(root or CODE_DIR).resolve()
    sha, dirty = _origin(root)
    h = hashlib.sha256()
    _hash_files(h, root, code_files(root))
    return {"id": h.hexdigest()[:16], "git_sha": sha, "uncommitted": dirty,
            "source": "git" if sha else "files", "root": str(root)}


def describe(version: dict[str, Any] | None) -> str:
    """One line for messages: ``code 1a2b... (git 3c4d5e6f7a + uncommitted 9f8e...)``."""
    if not version or not version.get("id"):
        return "no code version recorded (written before xlt recorded it)"
    origin = f"git {version['git_sha'][:10]}" if version.get("git_sha") else "package files"
    if version.get("uncommitted"):
        origin += f" + uncommitted {version['uncommitted']}"
    return f"code {version['id']} ({origin})"


def _names(ids: Sequence[str]) -> str:
    more = f" and {len(ids) - SHOW} more" if len(ids) > SHOW else ""
    return ", ".join(ids[:SHOW]) + more


def check_finished(finished: Sequence[tuple[str, dict[str, Any] | None]], current: dict[str, Any],
                   allow: bool) -> list[str]:
    """Refuse (CodeChanged) when finished conditions ``(id, recorded code version)`` were written by other
    code than ``current``; with ``allow`` return their ids instead. A condition that records no version
    (written before xlt recorded them) cannot be compared and is not counted here (``check_planned`` warns)."""
    other: dict[str, list[str]] = {}
    for cid, version in finished:
        if version and version.get("id") != current["id"]:
            other.setdefault(describe(version), []).append(cid)
    if not other or allow:
        return [cid for ids in other.values() for cid in ids]
    n = sum(len(ids) for ids in other.values())
    lines = [f"{n} finished condition(s) of this sweep were computed with other code than this run's "
             f"{describe(current)}; skipping them would mix two code versions in one sweep. Nothing was "
             f"launched. Re-run with allow_code_change=true to keep them (only the missing ones run), or "
             f"force=true to redo them:"]
    lines += [f"  {what}: {_names(ids)}" for what, ids in other.items()]
    raise CodeChanged("\n".join(lines))


def recorded(run_dir: Path) -> dict[str, Any] | None:
    """The code version a condition's ``condition.json`` records (None: unreadable or from before xlt
    recorded one)."""
    from xlt.results.store import ConditionStore

    try:
        return getattr(ConditionStore(run_dir).condition(), "code_version", None)
    except (OSError, ValueError):
        return None


def check_planned(planned: Sequence[Any], allow: bool) -> dict[str, Any]:
    """This code's version, once the finished conditions among ``planned`` (validated jobs: ``done``,
    ``run_dir``, ``condition_id``) are known to come from it; else CodeChanged, or with ``allow`` a warning."""
    current = code_version()
    finished = [(job.condition_id, recorded(job.run_dir)) for job in planned if job.done]
    mixed = check_finished(finished, current, allow)
    if mixed:
        log.warning("allow_code_change=true: %d finished condition(s) computed with other code are kept: %s",
                    len(mixed), _names(mixed))
    unknown = [cid for cid, version in finished if not version]
    if unknown:
        log.warning("%d finished condition(s) record no code version (written before xlt recorded it), kept "
                    "as they are (force=true redoes them): %s", len(unknown), _names(unknown))
    return current

"""Read an offline W&B run back (for tests and for checking what a sweep logged).

wandb 0.31 dropped ``wandb.sdk.internal.datastore``; its supported reader is the CLI
``wandb leet inspect --json`` over the run's ``.wandb`` transaction log, which prints one JSON
record per line (run, config, history, summary, exit ...). We fold those records into one dict.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any


def offline_runs(root: Path | str) -> list[Path]:
    """Every ``offline-run-*`` directory under ``root`` (a run dir, or any folder above it)."""
    return sorted(p for p in Path(root).rglob("offline-run-*") if p.is_dir())


def _wandb_cli() -> str:
    beside = Path(sys.executable).with_name("wandb")  # the venv's own CLI, whatever PATH says
    return str(beside) if beside.exists() else (shutil.which("wandb") or "wandb")


def read_run(run_dir: Path | str, timeout: float = 60.0) -> dict[str, Any]:
    """Fold an offline run's records into ``{group, job_type, name, tags, config, summary,
    history, exit_code}``; ``history`` is the list of logged rows in order."""
    proc = subprocess.run([_wandb_cli(), "leet", "inspect", "--json", str(run_dir)],
                          capture_output=True, text=True, timeout=timeout, check=True)
    out: dict[str, Any] = {"config": {}, "summary": {}, "history": [], "exit_code": None, "tags": []}
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue
        rec = json.loads(line)
        kind = rec.get("type")
        body = rec.get(kind, {}) if kind else {}
        if kind == "run":
            out.update(group=body.get("run_group"), job_type=body.get("job_type"),
                       name=body.get("display_name"), tags=list(body.get("tags", [])),
                       run_id=body.get("run_id"), project=body.get("project"))
            out["config"].update(body.get("config", {}).get("update", {}))
        elif kind == "config":
            out["config"].update(body.get("update", {}))
        elif kind == "summary":
            out["summary"].update(body.get("update", {}))
        elif kind == "history":
            out["history"].append(body.get("item", {}))
        elif kind == "exit":
            out["exit_code"] = body.get("exit_code", 0)
    out["config"].pop("_wandb", None)
    return out

"""Per-condition results on disk, written atomically; a condition is finished iff DONE exists.

Layout of ``outputs/<sweep>/<condition-id>/``: ``condition.json`` (identity + resolved config),
``predictions.jsonl`` (per item), ``metrics.json``, then ``DONE``. A failure writes ``FAILED``
(with the traceback) and never ``DONE``, so no half-written result is ever read as finished.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

DONE, FAILED = "DONE", "FAILED"


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same folder + fsync + rename (readers see old or new, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    """JSON version of :func:`atomic_write_text`."""
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


class ConditionStore:
    """The result directory of one condition."""

    def __init__(self, run_dir: Path | str) -> None:
        self.dir = Path(run_dir)

    @property
    def done(self) -> bool:
        """True only after every result file was written."""
        return (self.dir / DONE).exists()

    def write_condition(self, info: dict[str, Any]) -> None:
        """Record what this condition is (written first, before any work)."""
        atomic_write_json(self.dir / "condition.json", info)

    def write_results(self, metrics: dict[str, Any], predictions: Iterable[dict[str, Any]]) -> None:
        """Write predictions and metrics, then the DONE marker (last)."""
        lines = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in predictions)
        atomic_write_text(self.dir / "predictions.jsonl", lines)
        atomic_write_json(self.dir / "metrics.json", metrics)
        (self.dir / FAILED).unlink(missing_ok=True)
        atomic_write_text(self.dir / DONE, "ok\n")

    def write_failure(self, error: str) -> None:
        """Record a failure (the traceback) without touching finished results."""
        atomic_write_text(self.dir / FAILED, error)

    def clear(self) -> None:
        """Forget a finished result (force=true) so it is redone."""
        (self.dir / DONE).unlink(missing_ok=True)

    def metrics(self) -> dict[str, Any]:
        """The metrics of a finished condition."""
        return json.loads((self.dir / "metrics.json").read_text(encoding="utf-8"))

    def condition(self) -> dict[str, Any]:
        """The identity record of this condition."""
        return json.loads((self.dir / "condition.json").read_text(encoding="utf-8"))

    def predictions(self) -> list[dict[str, Any]]:
        """Per-item predictions of a finished condition."""
        with (self.dir / "predictions.jsonl").open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]


def finished(sweep_dir: Path | str) -> Iterator[ConditionStore]:
    """Every finished condition of a sweep (only those with DONE)."""
    for sub in sorted(Path(sweep_dir).iterdir()):
        if sub.is_dir() and (sub / DONE).exists():
            yield ConditionStore(sub)


def failed(sweep_dir: Path | str) -> list[ConditionStore]:
    """Conditions whose last attempt failed and that have not finished since."""
    return [ConditionStore(s) for s in sorted(Path(sweep_dir).iterdir())
            if s.is_dir() and (s / FAILED).exists() and not (s / DONE).exists()]

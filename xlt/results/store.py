"""Per-condition results on disk, written atomically; a condition is finished iff DONE exists.

Layout of ``outputs/<sweep>/<condition-id>/``: ``condition.json`` (identity + resolved config),
``predictions.jsonl`` (per item), ``metrics.json``, then ``DONE``. A failure writes ``FAILED``
(with the traceback) and never ``DONE``, so no half-written result is ever read as finished.
Every file holds the schema version and reads back as a typed record (``xlt.results.records``).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from xlt.results.records import (SCHEMA_VERSION, VERSION_KEY, ConditionRecord, MetricsRecord, Prediction,
                                 check_version)

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

    def write_condition(self, record: ConditionRecord | Mapping[str, Any]) -> None:
        """Record what this condition is (written first, before any work); a plain mapping is written as
        given (tests and tools that need only the markers)."""
        atomic_write_json(self.dir / "condition.json", _versioned(record))

    def write_results(self, metrics: MetricsRecord | Mapping[str, Any],
                      predictions: Iterable[Prediction | Mapping[str, Any]]) -> None:
        """Write predictions and metrics, then the DONE marker (last). Records or plain mappings, as
        :meth:`write_condition`."""
        lines = "".join(json.dumps(_versioned(p), ensure_ascii=False) + "\n" for p in predictions)
        atomic_write_text(self.dir / "predictions.jsonl", lines)
        atomic_write_json(self.dir / "metrics.json", _versioned(metrics))
        (self.dir / FAILED).unlink(missing_ok=True)
        atomic_write_text(self.dir / DONE, "ok\n")

    def write_failure(self, error: str) -> None:
        """Record a failure (the traceback) without touching finished results."""
        atomic_write_text(self.dir / FAILED, error)

    def clear(self) -> None:
        """Forget a finished result (force=true) so it is redone."""
        (self.dir / DONE).unlink(missing_ok=True)

    def metrics(self) -> MetricsRecord:
        """The metrics of a finished condition."""
        path = self.dir / "metrics.json"
        return MetricsRecord.from_dict(_read_json(path), str(path))

    def condition(self) -> ConditionRecord:
        """The identity record of this condition."""
        path = self.dir / "condition.json"
        return ConditionRecord.from_dict(_read_json(path), str(path))

    def predictions(self) -> list[dict[str, Any]]:
        """Per-item rows of a finished condition as written (the version field dropped): the table
        pandas and W&B read. Raises NewerSchemaError for a row of an unknown version."""
        path = self.dir / "predictions.jsonl"
        rows = []
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    row = json.loads(line)
                    check_version(row, f"{path}:{n}")
                    row.pop(VERSION_KEY, None)
                    rows.append(row)
        return rows

    def prediction_records(self) -> list[Prediction]:
        """Per-item predictions of a finished condition, typed."""
        where = str(self.dir / "predictions.jsonl")
        return [Prediction.from_dict(row, where) for row in self.predictions()]


def _versioned(obj: Any) -> dict[str, Any]:
    """A record's (or mapping's) content with the current schema version."""
    body = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    return {**body, VERSION_KEY: SCHEMA_VERSION}


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def finished(sweep_dir: Path | str) -> Iterator[ConditionStore]:
    """Every finished condition of a sweep (only those with DONE)."""
    for sub in sorted(Path(sweep_dir).iterdir()):
        if sub.is_dir() and (sub / DONE).exists():
            yield ConditionStore(sub)


def failed(sweep_dir: Path | str) -> list[ConditionStore]:
    """Conditions whose last attempt failed and that have not finished since."""
    return [ConditionStore(s) for s in sorted(Path(sweep_dir).iterdir())
            if s.is_dir() and (s / FAILED).exists() and not (s / DONE).exists()]

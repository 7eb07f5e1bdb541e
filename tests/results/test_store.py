"""The results store: atomic writes, DONE last, failures never read as finished."""

from __future__ import annotations

import pytest

from xlt.results.records import LanguageMetrics, MetricsRecord
from xlt.results.store import ConditionStore, atomic_write_text, failed, finished


def test_done_only_after_results(tmp_path):
    store = ConditionStore(tmp_path / "sweep" / "c1")
    store.write_condition({"id": "c1"})
    assert not store.done
    metrics = MetricsRecord({"heb_Hebr": LanguageMetrics(0.5, 2, (0.1, 0.9), "label-token", "Afro-Asiatic", True)},
                            {"semitic": 0.5, "non_semitic": None}, 2)
    store.write_results(metrics, [{"lang": "heb_Hebr", "correct": True}])
    assert store.done
    assert store.metrics().accuracy["heb_Hebr"] == 0.5
    assert store.predictions() == [{"lang": "heb_Hebr", "correct": True}]
    assert [s.dir.name for s in finished(tmp_path / "sweep")] == ["c1"]


def test_failure_is_not_finished(tmp_path):
    store = ConditionStore(tmp_path / "s" / "c2")
    store.write_condition({"id": "c2"})
    store.write_failure("Traceback ...")
    assert not store.done
    assert list(finished(tmp_path / "s")) == []
    assert [s.dir.name for s in failed(tmp_path / "s")] == ["c2"]


def test_atomic_write_leaves_old_content_on_error(tmp_path, monkeypatch):
    path = tmp_path / "metrics.json"
    atomic_write_text(path, "old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temp file left behind

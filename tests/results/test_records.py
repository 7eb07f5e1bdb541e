"""Typed store records: round trips, the schema version in every file, older stores, newer ones refused."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from xlt.results.records import (SCHEMA_VERSION, ConditionRecord, CotRates, LanguageMetrics, MetricsRecord,
                                 NewerSchemaError, Prediction)
from xlt.results.store import ConditionStore

CONDITION = ConditionRecord(id="m-arb_Arab-finetune-s0-abc", task="belebele", model="m", source="arb_Arab",
                            regime="finetune", seed=0, train_task="belebele", source_variants=("arb_Arab",),
                            targets=("heb_Hebr", "jpn_Jpan"), identity={"data": {"n_eval": 4}},
                            checkpoint={"fingerprint": "x"}, config={"sweep_name": "s"})
PREDS = [Prediction("heb_Hebr", "l1", 1, [-0.1, -2.0, -3.0, -4.0], 1, 1, "label-token",
                    {"cot_text": "so 1", "stated_answer": 1, "cot_truncated": False}),
         Prediction("jpn_Jpan", "l1", 2, [-2.0, -0.1, -3.0, -4.0], 2, 3, "label-token")]
METRICS = MetricsRecord({"heb_Hebr": LanguageMetrics(1.0, 1, (0.2, 1.0), "label-token", "Afro-Asiatic", True,
                                                     CotRates(1.0, 1.0, 0.0)),
                         "jpn_Jpan": LanguageMetrics(0.0, 1, (0.0, 0.8), "label-token", "Japonic", False)},
                        {"semitic": 1.0, "non_semitic": 0.0}, 2, n_train=8, n_labels=4,
                        leak={"mode": "report", "n_overlapping": 0})


def _finished(tmp_path) -> ConditionStore:
    store = ConditionStore(tmp_path / "c")
    store.write_condition(CONDITION)
    store.write_results(METRICS, PREDS)
    return store


def test_records_round_trip_through_the_store(tmp_path):
    store = _finished(tmp_path)
    assert store.condition() == CONDITION
    assert store.metrics() == METRICS
    assert store.prediction_records() == PREDS
    assert store.predictions() == [p.to_dict() for p in PREDS]  # rows as written, without the version


def test_every_file_holds_the_schema_version_and_pandas_reads_predictions(tmp_path):
    store = _finished(tmp_path)
    for name in ("condition.json", "metrics.json"):
        assert json.loads((store.dir / name).read_text())["schema_version"] == SCHEMA_VERSION
    lines = (store.dir / "predictions.jsonl").read_text().splitlines()
    assert all(json.loads(line)["schema_version"] == SCHEMA_VERSION for line in lines)
    table = pd.read_json(store.dir / "predictions.jsonl", lines=True)
    assert list(table["correct"]) == [True, False] and len(table) == 2
    on_disk = json.loads((store.dir / "metrics.json").read_text())
    assert "condition" not in on_disk and on_disk["accuracy"] == {"heb_Hebr": 1.0, "jpn_Jpan": 0.0}
    assert on_disk["per_lang"]["heb_Hebr"]["cot_parse_failure_rate"] == 0.0


def test_version_1_store_reads_as_before(tmp_path):
    """A store from before versions: no schema_version, metrics.json repeating the identity."""
    run = tmp_path / "old"
    run.mkdir()
    cond = {"id": "old", "model": "m", "source": None, "regime": "zero_shot", "seed": None,
            "source_variants": [], "targets": ["heb_Hebr"], "identity": {"data": {}}, "config": {}}
    (run / "condition.json").write_text(json.dumps(cond))
    entry = {"accuracy": 0.5, "n": 2, "ci95": [0.1, 0.9], "method": "label-token", "family": "Afro-Asiatic",
             "semitic": True}
    (run / "metrics.json").write_text(json.dumps({
        "condition": {k: cond[k] for k in ("id", "model", "source", "regime", "seed")},
        "accuracy": {"heb_Hebr": 0.5}, "per_lang": {"heb_Hebr": entry},
        "family_mean": {"semitic": 0.5, "non_semitic": None}, "n_items": 2, "n_train": 0}))
    row = {"lang": "heb_Hebr", "link": "l", "question_number": 1, "logprobs": [0.0] * 4, "pred": 1, "gold": 1,
           "correct": True, "method": "label-token"}
    (run / "predictions.jsonl").write_text(json.dumps(row) + "\n")
    store = ConditionStore(run)
    c, m = store.condition(), store.metrics()
    assert (c.id, c.task, c.train_task, c.checkpoint, c.targets) == ("old", None, None, None, ("heb_Hebr",))
    assert m.accuracy == {"heb_Hebr": 0.5} and m.n_labels is None and m.per_lang["heb_Hebr"].cot is None
    assert m.per_lang["heb_Hebr"].to_dict() == entry
    assert store.predictions() == [row] and store.prediction_records()[0].to_dict() == row


@pytest.mark.parametrize("name", ["condition.json", "metrics.json", "predictions.jsonl"])
def test_a_newer_version_is_refused_in_one_line(tmp_path, name):
    store = _finished(tmp_path)
    path = store.dir / name
    if name.endswith(".jsonl"):
        path.write_text(json.dumps({**PREDS[0].to_dict(), "schema_version": SCHEMA_VERSION + 1}) + "\n")
        read = store.predictions
    else:
        path.write_text(json.dumps({**json.loads(path.read_text()), "schema_version": SCHEMA_VERSION + 1}))
        read = store.condition if name == "condition.json" else store.metrics
    with pytest.raises(NewerSchemaError) as err:
        read()
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "update xlt" in message


def test_unknown_fields_and_inconsistent_rows_are_errors():
    with pytest.raises(ValueError, match="unknown ConditionRecord field"):
        ConditionRecord.from_dict({"id": "x", "modle": "m"})
    with pytest.raises(ValueError, match="needs its id"):
        ConditionRecord.from_dict({"model": "m"})
    with pytest.raises(ValueError, match="correct=True"):
        Prediction.from_dict({**PREDS[1].to_dict(), "correct": True})
    with pytest.raises(ValueError, match="needs gold"):
        Prediction.from_dict({k: v for k, v in PREDS[1].to_dict().items() if k != "gold"})
    with pytest.raises(ValueError, match="unknown MetricsRecord field"):  # version 2 never repeats the identity
        MetricsRecord.from_dict({**METRICS.to_dict(), "condition": {}, "schema_version": SCHEMA_VERSION})

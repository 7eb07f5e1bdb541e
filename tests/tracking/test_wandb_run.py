"""W&B tracking: read offline runs back, redaction, failure exit codes, length limits, W&B outages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xlt.conditions import Condition
from xlt.errors import ConfigError
from xlt.results.records import CotRates, LanguageMetrics, MetricsRecord
from xlt.tracking.inspect import offline_runs, read_run
from xlt.tracking.wandb_run import MAX_GROUP, MAX_TAG, Tracker, redact, result_metrics, run_fields

ROOT = Path(__file__).resolve().parents[2]
FAST = ["data.n_eval=4", "data.n_train=8", "targets=[arb_Arab,heb_Hebr]", "regime.epochs=1",
        "logger=wandb", "logger.mode=offline", "sweep_name=trk"]


def test_redact_nested_secrets():
    cfg = {"logger": {"api_key": "abc", "project": "xlt"}, "x": [{"hf_token": "t", "ok": 1}], "Password": "p"}
    out = redact(cfg)
    assert out == {"logger": {"api_key": "<redacted>", "project": "xlt"},
                   "x": [{"hf_token": "<redacted>", "ok": 1}], "Password": "<redacted>"}


def test_run_fields_and_limits(compose):
    cfg = compose([*FAST, "regime=finetune"])
    cond = Condition.from_cfg(cfg)
    fields = run_fields(cfg, cond)
    assert fields["group"] == "trk" and fields["job_type"] == "finetune" and fields["name"] == cond.id
    assert {"model:tiny", "source:ar", "regime:finetune", "genus:Semitic", "family:Afro-Asiatic"} <= set(fields["tags"])
    base = Condition.from_cfg(compose([*FAST, "regime=zero_shot"]))
    assert "source:-" in run_fields(compose([*FAST, "regime=zero_shot"]), base)["tags"]  # baselines serve every source
    long_group = compose([*FAST, f"sweep_name={'g' * (MAX_GROUP + 1)}"])
    with pytest.raises(ConfigError, match=str(MAX_GROUP)):
        run_fields(long_group, Condition.from_cfg(long_group))
    long_tag = compose([*FAST, f"model.name={'m' * MAX_TAG}"])
    with pytest.raises(ConfigError, match=f"tag .*{MAX_TAG}"):
        run_fields(long_tag, Condition.from_cfg(long_tag))


def test_too_long_group_fails_before_anything_runs(tmp_path):
    env = {**os.environ, "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1"}
    name = "s" * (MAX_GROUP + 5)
    proc = subprocess.run([sys.executable, "-m", "xlt.train", "-m", f"output_root={tmp_path}", f"sweep_name={name}",
                           "regime=zero_shot,finetune", "data.n_eval=4", "targets=[arb_Arab]"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert f"W&B groups allow {MAX_GROUP}" in proc.stdout + proc.stderr
    sweep = tmp_path / name
    assert not sweep.exists() or not any(p.is_dir() for p in sweep.iterdir())


def test_result_metrics_family_and_genus():
    def entry(acc: float, family: str, parse_rate: float) -> LanguageMetrics:
        return LanguageMetrics(acc, 10, (0.0, 1.0), "label-token", family, family == "Afro-Asiatic",
                               CotRates(parse_rate, None))

    metrics = MetricsRecord({"heb_Hebr": entry(0.5, "Afro-Asiatic", 1.0), "amh_Ethi": entry(0.7, "Afro-Asiatic", 0.5),
                             "jpn_Jpan": entry(0.4, "Japonic", 0.0)},
                            family_mean={"semitic": 0.6, "non_semitic": 0.4}, n_items=30)
    flat = result_metrics(metrics)
    assert flat["family/Afro-Asiatic"] == pytest.approx(0.6) and flat["family/Japonic"] == 0.4
    assert flat["genus/semitic"] == 0.6 and flat["cot_parse_rate/mean"] == pytest.approx(0.5)
    assert flat["acc/heb_Hebr"] == 0.5


def test_finetune_run_reads_back(compose, tmp_path):
    """One real offline run: fields, redacted config with Hydra choices, summary, training curves, table."""
    from xlt.pipeline import run_condition

    cfg = compose([*FAST, "regime=finetune"])
    run_dir = tmp_path / "trk" / "ft"
    metrics = run_condition(cfg, run_dir, {"model": "tiny", "regime": "finetune"})
    assert (run_dir / "DONE").exists()
    (wb,) = offline_runs(run_dir)
    run = read_run(wb)
    cond = Condition.from_cfg(cfg)
    assert (run["group"], run["job_type"], run["name"]) == ("trk", "finetune", cond.id)
    assert "model:tiny" in run["tags"] and "family:Afro-Asiatic" in run["tags"]
    assert run["config"]["hydra_choices"] == {"model": "tiny", "regime": "finetune"}
    assert run["config"]["data"]["n_eval"] == 4  # the resolved config
    assert run["summary"]["acc/heb_Hebr"] == pytest.approx(metrics["accuracy"]["heb_Hebr"])
    assert "family/Afro-Asiatic" in run["summary"] and "genus/semitic" in run["summary"]
    n_items = len((run_dir / "predictions.jsonl").read_text().splitlines())
    assert run["summary"]["predictions.nrows"] == n_items == metrics["n_items"]
    keys = {k for row in run["history"] for k in row}
    assert "train/loss_step" in keys and "train/loss_epoch" in keys  # curves via Lightning's WandbLogger
    assert run["exit_code"] == 0


def test_a_secret_in_the_config_is_refused_before_anything_is_written(compose, tmp_path):
    """A key the schema does not declare (a token passed as ``+logger.api_key=``) never reaches a record:
    the condition is refused before its directory is written (W&B records are redacted as well, above)."""
    from xlt.errors import ConfigError
    from xlt.pipeline import run_condition

    run_dir = tmp_path / "trk" / "secret"
    for extra in ("+logger.api_key=SECRET-KEY", "+cluster.hf_token=SECRET-TOKEN"):
        with pytest.raises(ConfigError, match=extra[1:].split("=")[0] + " is not declared"):
            run_condition(compose([*FAST, "regime=finetune", extra]), run_dir)
    assert not run_dir.exists()


def test_failing_condition_finishes_with_exit_code_1(compose, tmp_path, monkeypatch):
    import xlt.scoring.metrics as metrics_mod
    from xlt.pipeline import run_condition

    def boom(*args, **kwargs):
        raise RuntimeError("scoring exploded")

    monkeypatch.setattr(metrics_mod, "summarize", boom)
    run_dir = tmp_path / "trk" / "bad"
    with pytest.raises(RuntimeError, match="exploded"):
        run_condition(compose([*FAST, "regime=zero_shot"]), run_dir)
    assert (run_dir / "FAILED").exists() and not (run_dir / "DONE").exists()
    assert read_run(offline_runs(run_dir)[0])["exit_code"] == 1


def test_wandb_outage_never_loses_results(compose, tmp_path, monkeypatch):
    import wandb

    from xlt.pipeline import run_condition

    def down(*args, **kwargs):
        raise ConnectionError("api.wandb.ai unreachable")

    monkeypatch.setattr(wandb, "init", down)
    run_dir = tmp_path / "trk" / "outage"
    metrics = run_condition(compose([*FAST, "regime=zero_shot"]), run_dir)
    assert (run_dir / "DONE").exists() and set(metrics["accuracy"]) == {"arb_Arab", "heb_Hebr"}
    assert len((run_dir / "predictions.jsonl").read_text().splitlines()) == metrics["n_items"] > 0
    assert offline_runs(run_dir) == []


def test_only_rank_zero_logs(compose, tmp_path, monkeypatch):
    import wandb

    calls = []
    monkeypatch.setattr(wandb, "init", lambda *a, **k: calls.append(1))
    monkeypatch.setenv("RANK", "1")
    cfg = compose([*FAST, "regime=zero_shot"])
    tracker = Tracker(cfg, Condition.from_cfg(cfg), tmp_path)
    assert tracker.run is None and calls == [] and tracker.lightning_loggers() == []
    tracker.log_results(MetricsRecord({}, {}, 0), [])  # no-ops
    tracker.finish(1)

"""CLI edges and the W&B report object built offline."""

from __future__ import annotations

from dataclasses import replace

from synth import PAPER_SPEC, synthetic_sweep

from xlt.report import wandb_report
from xlt.report.__main__ import main


def test_missing_and_empty_sweeps(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    assert main([str(tmp_path)]) == 1
    assert "no finished conditions" in capsys.readouterr().err


def test_zero_shot_only_sweep_still_reports(tmp_path):
    sweep = synthetic_sweep(tmp_path, replace(PAPER_SPEC, n_models=2, n_items=12), seeds=1,
                            regimes=("zero_shot",), sweep_name="zs")
    assert main([str(sweep), "--power-sims", "50", "--no-wandb", "--out", str(tmp_path / "r")]) == 0
    html = (tmp_path / "r" / "report.html").read_text()
    assert 'data-table="baseline_accuracy"' in html and 'data-figure="power_curve"' in html
    assert "needs a trained regime" in html
    assert not (tmp_path / "r" / "wandb_report.json").exists()


def test_wandb_report_builds_offline(monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", "/nonexistent")
    monkeypatch.setenv("HOME", "/nonexistent")
    assert not wandb_report.wants_online({"name": "wandb", "mode": "online"})  # no key: stay offline
    report = wandb_report.build("s1", "xlt", "me", ["heb_Hebr", "jpn_Jpan"], ["finetune from ar"],
                                ["primary: estimate 0.1"])
    spec = wandb_report.validate(report)
    assert spec["displayName"] == "xlt s1" and spec["project"] == {"name": "xlt", "entityName": "me"}
    kinds = [b["type"] for b in spec["spec"]["blocks"]]
    assert "panel-grid" in kinds and "heading" in kinds
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert wandb_report.wants_online({"name": "wandb", "mode": "online"})
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert not wandb_report.wants_online({"name": "wandb", "mode": "offline"})
    assert not wandb_report.wants_online({"name": "none", "mode": "online"})

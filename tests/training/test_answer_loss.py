"""The answer-only loss equals the LM's full-logit loss (value and LoRA gradients), on every twin."""

from __future__ import annotations

import pytest
import torch

TWINS = ["tiny_llama", "tiny_qwen3", "tiny_gpt_oss", "tiny_deepseek_v3"]


def _batch(cfg, tok, n=5):
    from xlt.data.prompts import get_format
    from xlt.scoring.labels import resolve_labels
    from xlt.training.examples import build_examples, collate
    from xlt.training.learnable import learnable_items

    fmt = get_format("numbered")
    items = learnable_items(n, filler_words=30)  # unequal lengths: right padding in the batch
    examples = build_examples(tok, items, fmt, resolve_labels(tok, fmt.labels), max_length=256)
    assert len({len(e.input_ids) for e in examples}) > 1
    return collate(examples, tok.pad_token_id)


def _grads(model):
    return {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("preset", TWINS)
def test_answer_only_loss_matches_the_full_logit_loss(learn_cfg, preset):
    from xlt.models.loading import load_model, load_tokenizer
    from xlt.training.fit import TrainSettings, prepare_model
    from xlt.training.module import answer_only_loss, full_logit_loss

    cfg = learn_cfg(f"model={preset}", "regime.lora.dropout=0.0")
    tok = load_tokenizer(cfg.model)
    model = prepare_model(TrainSettings.from_cfg(cfg), load_model(cfg.model))
    model.train()
    batch = _batch(cfg, tok)
    with torch.no_grad():  # LoRA B starts at zero: give the adapters weight so their grads are not trivial
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.02)
    out = {}
    for name, fn in (("answer", answer_only_loss), ("full", full_logit_loss)):
        model.zero_grad(set_to_none=True)
        loss, hits = fn(model, batch)
        loss.backward()
        out[name] = (float(loss), int(hits), _grads(model))
    assert abs(out["answer"][0] - out["full"][0]) < 1e-5
    assert out["answer"][1] == out["full"][1]
    ga, gf = out["answer"][2], out["full"][2]
    assert ga.keys() == gf.keys() and ga
    for n in ga:
        assert torch.allclose(ga[n], gf[n], rtol=1e-4, atol=1e-6), n


def test_answer_positions_are_one_before_each_label_token():
    from xlt.training.examples import IGNORE
    from xlt.training.module import answer_positions

    labels = torch.full((2, 6), IGNORE)
    labels[0, 4], labels[1, 2], labels[1, 3] = 7, 8, 9
    rows, cols, keep = answer_positions(labels)
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [3, 1, 2] and keep.tolist() == [1, 2, 3]

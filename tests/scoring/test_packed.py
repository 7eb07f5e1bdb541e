"""Packed prefix sharing (xlt.scoring.packed): exact on every full-attention architecture, the row
layout reproduces every prompt, and anything it cannot run exactly falls back instead of mixing
questions."""

from __future__ import annotations

import copy
import logging

import pytest
import torch

from xlt.data.encode import encode_prompt, prompt_text
from xlt.data.prompts import FORMATS
from xlt.scoring.packed import PackUnsupported, pack, packed_logprobs
from xlt.scoring.prefix import batch_groups, plan_groups
from xlt.scoring.reference import naive_score
from xlt.scoring.scorer import reuse_mode, score_items

from test_scorer_exact import _check, _items


@pytest.fixture(scope="module")
def twins():
    """Tiny random-init twins of the real architectures, built once for this module."""
    from xlt.models.loading import load_model, load_tokenizer
    from xlt.models.presets import compose_model

    out = {}
    for name in ("tiny_qwen3", "tiny_deepseek_v3", "tiny_gpt_oss"):
        cfg = compose_model(name)
        out[name] = (load_model(cfg), load_tokenizer(cfg))
    return out


def _encoded(tok, items, fmt="numbered"):
    return [encode_prompt(tok, prompt_text(tok, it, FORMATS[fmt], False), False) for it in items]


def test_packed_row_reproduces_every_prompt(tiny_model):
    _, tok, _ = tiny_model
    items = _items()
    enc = _encoded(tok, items)
    groups = plan_groups(enc, [(it.lang, it.link) for it in items])
    ids, pos, segments, members, ends = pack(enc, groups)
    assert sorted(members) == list(range(len(items))) and len(ids) == len(pos)
    assert len(ids) == sum(g.split + sum(len(enc[i]) - g.split for i in g.members) for g in groups)
    for seg, g in zip(segments, groups):
        for (begin, end), i in zip(seg.suffixes, g.members):
            prompt = ids[seg.start: seg.start + seg.prefix] + ids[begin:end]
            assert prompt == enc[i]  # the question sees exactly its own tokens ...
            assert pos[seg.start: seg.start + seg.prefix] + pos[begin:end] == list(range(len(enc[i])))  # ... at its positions
            assert ends[members.index(i)] == end - 1


@pytest.mark.parametrize("name", ["tiny_qwen3", "tiny_deepseek_v3", "tiny_gpt_oss"])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_packed_matches_naive_on_real_architectures(twins, name, fmt, caplog):
    model, tok = twins[name]
    items = _items()
    with caplog.at_level(logging.WARNING, logger="xlt.scoring.scorer"):
        preds = score_items(model, tok, items, FORMATS[fmt], batch_size=7, prefix_reuse="packed")
    assert "prefix reuse off" not in caplog.text  # the packed path itself ran
    _check(preds, naive_score(model, tok, items, FORMATS[fmt]), "label-token")


def test_gpt_oss_windows_and_sinks_are_honoured(twins, caplog):
    """The tiny gpt-oss has an 8-token window on half its layers and attention sinks on all: packed
    scoring must match it, and dropping either (full attention / no sink) must not."""
    from xlt.scoring import packed

    model, tok = twins["tiny_gpt_oss"]
    assert model.config.sliding_window == 8 and "sliding_attention" in model.config.layer_types
    items = _items()
    ref = naive_score(model, tok, items, FORMATS["numbered"])
    assert max(len(e) for e in _encoded(tok, items)) > 8 * 4  # prompts far longer than the window
    _check(score_items(model, tok, items, FORMATS["numbered"], batch_size=7, prefix_reuse="packed"), ref,
           "label-token")
    original = packed._attention
    for drop in ("sliding_window", "s_aux"):
        def without(*args, _drop=drop, **kwargs):
            kwargs.pop(_drop, None)
            return original(*args, **kwargs)
        packed._attention = without
        try:
            if drop == "sliding_window":  # the guard notices the missing windows and falls back, exactly
                with caplog.at_level(logging.WARNING, logger="xlt.scoring.scorer"):
                    got = score_items(model, tok, items, FORMATS["numbered"], batch_size=7, prefix_reuse="packed")
                assert "0 of 1 sliding-window layers passed their window" in caplog.text
                _check(got, ref, "label-token")
            else:
                got = score_items(model, tok, items, FORMATS["numbered"], batch_size=7, prefix_reuse="packed")
                assert torch.tensor([p.logprobs for p in got]).sub(torch.tensor(ref)).abs().max() > 1e-3
        finally:
            packed._attention = original


def test_a_model_that_bypasses_the_packed_attention_is_refused(tiny_model):
    """If the layers do not call the registered attention, the row would mix questions: refuse it."""
    model, tok, _ = tiny_model

    class OwnAttention(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner, self.config = inner, inner.config

        def forward(self, **kwargs):
            chosen = self.config._attn_implementation
            self.config._attn_implementation = "sdpa"  # as a model with hard-wired attention would
            try:
                return self.inner(**kwargs)
            finally:
                self.config._attn_implementation = chosen

    items = _items(4)
    enc = _encoded(tok, items)
    groups = plan_groups(enc, [(it.lang, it.link) for it in items])
    with pytest.raises(PackUnsupported, match="layers ran the packed attention"):
        packed_logprobs(OwnAttention(model), enc, groups, tok.pad_token_id)
    assert model.config._attn_implementation == "sdpa"  # restored after the refusal
    preds = score_items(OwnAttention(model), tok, items, FORMATS["numbered"], batch_size=3, prefix_reuse=True)
    _check(preds, naive_score(model, tok, items, FORMATS["numbered"]), "label-token")


def test_packing_changes_nothing_across_batch_compositions(tiny_model):
    """A question's log-probs do not depend on which other passages share its packed row."""
    model, tok, _ = tiny_model
    items = _items()
    enc = _encoded(tok, items)
    groups = plan_groups(enc, [(it.lang, it.link) for it in items])
    together = dict(zip(*packed_logprobs(model, enc, groups, 0)))
    for batch in batch_groups(groups, enc, 1):
        alone = dict(zip(*packed_logprobs(model, enc, batch, 0)))
        for i, lp in alone.items():
            assert torch.allclose(lp, together[i], atol=1e-5)


def test_reuse_mode_names_the_valid_values():
    assert [reuse_mode(v) for v in (True, False, None, "packed", "cache", "off")] == \
        ["auto", "off", "auto", "packed", "cache", "off"]
    with pytest.raises(ValueError, match="true, false or one of auto, packed, cache, off"):
        reuse_mode("kv")


def test_packed_scores_a_lora_adapted_model(tiny_model, caplog):
    """Evaluation after fine-tuning scores a peft model: the packed path must run on it, exactly."""
    from peft import LoraConfig, get_peft_model

    model, tok, _ = tiny_model
    adapted = get_peft_model(copy.deepcopy(model), LoraConfig(r=4, target_modules=["q_proj", "v_proj"],
                                                               init_lora_weights=False)).eval()
    items = _items()
    with caplog.at_level(logging.WARNING, logger="xlt.scoring.scorer"):
        preds = score_items(adapted, tok, items, FORMATS["numbered"], batch_size=7, prefix_reuse="packed")
    assert "prefix reuse off" not in caplog.text
    ref = naive_score(adapted, tok, items, FORMATS["numbered"])
    _check(preds, ref, "label-token")
    assert torch.tensor(ref).sub(torch.tensor(naive_score(model, tok, items, FORMATS["numbered"]))).abs().max() > 1e-3

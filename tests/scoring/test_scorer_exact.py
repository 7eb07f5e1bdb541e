"""The batched scorer equals the naive reference (one unbatched full forward per option), with and
without prefix reuse, chat template on and off, and in the multi-token continuation fallback."""

from __future__ import annotations

import copy
import logging

import pytest
import torch

from xlt.data.encode import encode_prompt, prompt_text
from xlt.data.items import Item
from xlt.data.prompts import FORMATS, PromptFormat
from xlt.scoring.labels import resolve_labels
from xlt.scoring.prefix import batch_groups, plan_groups
from xlt.scoring.reference import naive_score
from xlt.scoring.scorer import score_items

WORDS = ["market", "river", "السوق", "השוק", "ገበያው", "市場は", "시장은", "le marché"]
CHAT = ("{% for m in messages %}<s>{{ m['role'] }}\n{{ m['content'] }}</s>\n{% endfor %}"
        "{% if add_generation_prompt %}<s>assistant\n{% endif %}")


def _items(n_passages: int = 7) -> list[Item]:
    """Mixed-length passages in several scripts; every other passage carries two questions."""
    out = []
    for p in range(n_passages):
        passage = " ".join(WORDS[(p + k) % len(WORDS)] for k in range(3 + 6 * (p % 4)))
        for q in range(1, 2 + p % 2):
            out.append(Item("eng_Latn", f"l{p}", q, passage, f"question {q}{' long' * (p % 3)}?",
                            (f"a{p}", "b", "c" * q, "d"), 1 + (p + q) % 4))
    return out


def _check(preds, ref, method: str) -> float:
    got, want = torch.tensor([p.logprobs for p in preds]), torch.tensor(ref)
    diff = float((got - want).abs().max())
    assert diff <= 1e-4, diff
    assert [p.pred for p in preds] == [1 + int(torch.argmax(r)) for r in want]
    assert all(p.method == method for p in preds)
    return diff


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("prefix_reuse", ["packed", "cache", False])
def test_batched_matches_naive(tiny_model, fmt, batch_size, prefix_reuse):
    model, tok, _ = tiny_model
    items = _items()
    assert len({it.link for it in items}) < len(items)  # some passages are shared
    done = []
    preds = score_items(model, tok, items, FORMATS[fmt], batch_size=batch_size, prefix_reuse=prefix_reuse,
                        progress=done.append)
    _check(preds, naive_score(model, tok, items, FORMATS[fmt]), "label-token")
    assert sum(done) == len(items) and max(done) <= batch_size
    assert [(p.link, p.question_number, p.gold) for p in preds] == [(i.link, i.question_number, i.answer) for i in items]


def test_prefix_plan_shares_passages_and_keeps_a_suffix(tiny_model):
    _, tok, _ = tiny_model
    items = _items()
    enc = [encode_prompt(tok, prompt_text(tok, it, FORMATS["numbered"], False), False) for it in items]
    groups = plan_groups(enc, [(it.lang, it.link) for it in items])
    shared = [g for g in groups if len(g.members) == 2]
    assert len(shared) == sum(1 for p in range(7) if p % 2)
    for g in groups:
        assert all(enc[i][: g.split] == enc[g.members[0]][: g.split] and len(enc[i]) > g.split for i in g.members)
    for g in shared:  # the split is the whole shared passage, not less
        a, b = (enc[i] for i in g.members)
        assert a[g.split] != b[g.split]
    batches = batch_groups(groups, enc, 3)
    assert sorted(i for b in batches for g in b for i in g.members) == list(range(len(items)))
    assert all(sum(len(g.members) for g in b) <= 3 for b in batches)


def test_prefix_reuse_falls_back_when_the_cache_cannot_be_reused(tiny_model, caplog):
    model, tok, _ = tiny_model

    class NoCache(torch.nn.Module):
        """A model whose forward returns no cache: prefix reuse must fall back, still exact."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, **kwargs):
            out = self.inner(**kwargs)
            out.past_key_values = out.cache = None  # noqa: B010
            return out

    items = _items(4)
    with caplog.at_level(logging.WARNING, logger="xlt.scoring.scorer"):
        preds = score_items(NoCache(model), tok, items, FORMATS["numbered"], batch_size=3, prefix_reuse=True)
    assert "prefix reuse off (method packed)" in caplog.text and "prefix reuse off (method cache)" in caplog.text
    _check(preds, naive_score(model, tok, items, FORMATS["numbered"]), "label-token")


def test_multi_token_labels_fall_back_to_continuation_loglik(tiny_model):
    model, tok, _ = tiny_model
    fmt = PromptFormat("words", ("marketplace", "riverbank", "seventeen", "yesterday"))
    labels = resolve_labels(tok, fmt.labels)
    assert not labels.single_token and max(len(c) for c in labels.continuations) > 1
    items = _items(4)
    for batch_size in (1, 7):
        preds = score_items(model, tok, items, fmt, batch_size=batch_size)
        _check(preds, naive_score(model, tok, items, fmt), "continuation")


@pytest.mark.parametrize("prefix_reuse", ["packed", "cache", False])
def test_chat_template_on_and_off(tiny_model, prefix_reuse):
    model, tok, _ = tiny_model
    chat_tok = copy.deepcopy(tok)
    chat_tok.chat_template = CHAT
    items, fmt = _items(4), FORMATS["lettered"]
    text = prompt_text(chat_tok, items[0], fmt, True)
    assert text.startswith("<s>user\nP: ") and text.endswith("</s>\n<s>assistant\nAnswer:")
    assert prompt_text(chat_tok, items[0], fmt, False).startswith("P: ")
    on = score_items(model, chat_tok, items, fmt, chat_template=True, batch_size=7, prefix_reuse=prefix_reuse)
    _check(on, naive_score(model, chat_tok, items, fmt, chat_template=True), "label-token")
    off = score_items(model, chat_tok, items, fmt, chat_template=False, batch_size=7, prefix_reuse=prefix_reuse)
    _check(off, naive_score(model, chat_tok, items, fmt, chat_template=False), "label-token")
    assert torch.tensor([p.logprobs for p in on]).sub(torch.tensor([p.logprobs for p in off])).abs().max() > 1e-3

"""The batched scorer equals the naive reference (one unbatched full forward per option)."""

from __future__ import annotations

import pytest
import torch

from xlt.data.items import Item
from xlt.data.prompts import FORMATS
from xlt.scoring.reference import naive_score
from xlt.scoring.scorer import score_items


def _items(n: int) -> list[Item]:
    words = ["market", "river", "السوق", "השוק", "ገበያው", "市場は", "시장은", "le marché"]
    out = []
    for i in range(n):
        passage = " ".join(words[(i + k) % len(words)] for k in range(3 + 5 * (i % 4)))  # mixed lengths
        out.append(Item("eng_Latn", f"l{i}", 1, passage, f"question {i}?", (f"a{i}", "b", "c", "d"), 1 + i % 4))
    return out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("batch_size", [1, 7])
def test_batched_matches_naive(tiny_model, fmt, batch_size):
    model, tok, _ = tiny_model
    items = _items(9)
    preds = score_items(model, tok, items, FORMATS[fmt], batch_size=batch_size)
    ref = naive_score(model, tok, items, FORMATS[fmt])
    got = torch.tensor([p.logprobs for p in preds])
    want = torch.tensor(ref)
    assert torch.allclose(got, want, atol=1e-4), (got - want).abs().max()
    assert [p.pred for p in preds] == [1 + int(torch.argmax(torch.tensor(r))) for r in ref]
    assert all(p.method == "label-token" for p in preds)

"""The naive reference scorer: one unbatched full forward per option, no tricks.

Exists to check the batched scorer's exactness (tests) and to measure its speed-up (bench).
"""

from __future__ import annotations

from typing import Sequence

from xlt.data.encode import encode_prompt, prompt_text
from xlt.data.items import Item
from xlt.data.prompts import PromptFormat
from xlt.scoring.labels import resolve_labels


def naive_logprobs(model, tok, item: Item, fmt: PromptFormat, chat_template: bool = False,
                   prompt: str | None = None) -> list[float]:
    """log P(prefix+label | prompt) for each of the four labels, each from its own forward pass.

    ``prompt`` overrides the rendered prompt text (as ``score_items(prompts=...)`` does for CoT).
    """
    import torch

    labels = resolve_labels(tok, fmt.labels)
    text = prompt if prompt is not None else prompt_text(tok, item, fmt, chat_template)
    prompt_ids = encode_prompt(tok, text, chat_template)
    out = []
    for cont in labels.continuations:
        ids = torch.tensor([prompt_ids + list(cont)])
        with torch.no_grad():
            logits = model(input_ids=ids, use_cache=False).logits.float()
        logp = torch.log_softmax(logits[0, :-1], dim=-1)
        n = len(cont) - len(labels.lead)  # as the scorer: conditional on the shared lead tokens
        steps = logp[-n:]
        out.append(float(steps.gather(-1, ids[0, -n:, None]).sum()))
    return out


def naive_score(model, tok, items: Sequence[Item], fmt: PromptFormat, chat_template: bool = False) -> list[list[float]]:
    """Reference log-probs for many items."""
    return [naive_logprobs(model, tok, it, fmt, chat_template) for it in items]

"""Chain-of-thought: greedy reasoning (bounded length), then label scoring after the reasoning,
plus the answer the model states in its text (for the parse-failure rate)."""

from __future__ import annotations

import re
from typing import Callable, Sequence

from xlt.data.items import Item
from xlt.data.prompts import PromptFormat
from xlt.scoring.encode import encode_prompt, prompt_text
from xlt.scoring.labels import LabelTokens
from xlt.scoring.scorer import Prediction, _batches, _left_pad, score_items

COT_CUE = "Let's think step by step."
# "answer is 3", "Answer: B", "الإجابة: 2", "答え：3" ... the label right after an answer word.
ANSWER_WORDS = r"(?:answer|réponse|respuesta|cevap|الإجابة|الجواب|תשובה|መልስ|tweġiba|答え|答案|답|정답)"


def stated_answer(text: str, labels: Sequence[str]) -> int | None:
    """The label the reasoning states (1..4), or None when it cannot be parsed."""
    alt = "|".join(re.escape(lab) for lab in labels)
    hits = re.findall(rf"{ANSWER_WORDS}\s*(?:is|est|es|:|：|=)?\s*\(?({alt})\b", text, flags=re.I)
    if hits:
        return labels.index(hits[-1].upper() if hits[-1].upper() in labels else hits[-1]) + 1
    return None


def generate_reasoning(model, tok, prompts: list[str], chat_template: bool, max_new_tokens: int,
                       batch_size: int = 4) -> list[str]:
    """Greedy continuations of each prompt (left-padded batches)."""
    import torch

    enc = [encode_prompt(tok, p, chat_template) for p in prompts]
    out: dict[int, str] = {}
    device = next(model.parameters()).device
    for batch in _batches(sorted(range(len(enc)), key=lambda i: -len(enc[i])), batch_size):
        ids, mask, _ = _left_pad([enc[i] for i in batch], tok.pad_token_id)
        with torch.no_grad():
            gen = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), do_sample=False,
                                 max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id)
        for row, i in enumerate(batch):
            out[i] = tok.decode(gen[row, ids.shape[1]:], skip_special_tokens=True)
    return [out[i] for i in range(len(enc))]


def score_cot(model, tok, items: Sequence[Item], fmt: PromptFormat, labels: LabelTokens, *,
              chat_template: bool, max_new_tokens: int, batch_size: int = 8,
              progress: Callable[[int], None] | None = None) -> list[Prediction]:
    """Reason first, then score the labels after ``<reasoning>\\nAnswer:``."""
    bases = [prompt_text(tok, it, fmt, chat_template) for it in items]
    heads = [b[: -len("Answer:")] + COT_CUE for b in bases]
    reasoning = generate_reasoning(model, tok, heads, chat_template, max_new_tokens)
    prompts = [h + r + "\nAnswer:" for h, r in zip(heads, reasoning)]
    preds = score_items(model, tok, items, fmt, chat_template=chat_template, batch_size=batch_size,
                        labels=labels, prompts=prompts, progress=progress)
    for p, r in zip(preds, reasoning):
        p.extra = {"cot_text": r, "stated_answer": stated_answer(r, fmt.labels)}
    return preds

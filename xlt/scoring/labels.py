"""Resolve answer labels to token ids for a tokenizer.

Whether " 1" or "1" is the single token that follows "Answer:" depends on the tokenizer, so it is
probed rather than assumed. Some tokenizers split " 1" into a space token and the digit (SmolLM2,
Llama-style digit splitting): then the natural answer is the shared space token (the ``lead``) followed
by one distinct token per label, so the lead is appended to the prompt and the labels are scored after
it — conditional log-probabilities that differ from the whole continuation's by the same constant
for all labels (same argmax, same differences). Scoring "1" straight after "Answer:" would ask the
model for text it never writes. If no such boundary exists, scoring falls back to full-continuation
log-likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass

PROBE = "Question: ?\nAnswer:"


@dataclass(frozen=True)
class LabelTokens:
    """How the four labels are appended to a prompt and scored."""

    prefix: str                         # text between the prompt and the label ("" or " ")
    token_ids: tuple[int, ...] | None   # four single-token ids (after ``lead``), or None for the fallback
    continuations: tuple[tuple[int, ...], ...]  # token ids of prefix+label after the probe prompt
    lead: tuple[int, ...] = ()          # tokens every continuation starts with, appended to prompts

    @property
    def single_token(self) -> bool:
        """True when one forward pass with a 4-way gather at the last position is exact."""
        return self.token_ids is not None


def _encode(tok, text: str) -> list[int]:
    return list(tok(text, add_special_tokens=False)["input_ids"])


def resolve_labels(tok, labels: tuple[str, ...]) -> LabelTokens:
    """Find how ``labels`` tokenize after a prompt ending in ``Answer:``."""
    base = _encode(tok, PROBE)
    fallback = None
    for prefix in (" ", ""):
        conts = []
        for lab in labels:
            full = _encode(tok, PROBE + prefix + lab)
            if full[: len(base)] != base:
                break  # the label merges with the prompt's last token: not a clean boundary
            conts.append(tuple(full[len(base):]))
        else:
            singles = [c[0] for c in conts if len(c) == 1]
            if len(singles) == len(labels) and len(set(singles)) == len(labels):
                return LabelTokens(prefix, tuple(singles), tuple(conts))
            lead = conts[0][:-1]
            lasts = [c[-1] for c in conts if len(c) == len(lead) + 1 and c[:-1] == lead]
            if lead and len(lasts) == len(labels) and len(set(lasts)) == len(labels):
                return LabelTokens(prefix, tuple(lasts), tuple(conts), tuple(lead))
            fallback = fallback or LabelTokens(prefix, None, tuple(conts))
    if fallback is None:
        raise ValueError(f"labels {labels} do not tokenize at a clean boundary after 'Answer:'")
    return fallback

"""Training examples: prompt + label, with the loss on the label token(s) only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from xlt.data.encode import encode_prompt, prompt_text
from xlt.data.items import Item
from xlt.data.prompts import PromptFormat
from xlt.scoring.labels import LabelTokens

IGNORE = -100  # torch's cross-entropy ignore_index


@dataclass(frozen=True)
class Example:
    """Token ids and loss labels of one training item."""

    input_ids: list[int]
    labels: list[int]   # IGNORE on prompt tokens, the label token id(s) on the answer


def build_examples(tok, items: Sequence[Item], fmt: PromptFormat, labels: LabelTokens, *,
                   chat_template: bool = False, max_length: int = 1024,
                   passages: Sequence[str] | None = None) -> list[Example]:
    """Encode items; prompts longer than ``max_length`` are cut from the left so the answer stays.

    ``passages`` replaces each item's passage (the format-only regime uses unrelated passages).
    """
    out = []
    for i, it in enumerate(items):
        text = prompt_text(tok, it, fmt, chat_template, None if passages is None else passages[i])
        prompt = encode_prompt(tok, text, chat_template)
        answer = list(labels.continuations[it.answer - 1])
        prompt = prompt[-(max_length - len(answer)):]
        out.append(Example(prompt + answer, [IGNORE] * len(prompt) + answer))
    return out


def collate(batch: Sequence[Example], pad_id: int):
    """Right-pad a batch (causal LM training: padding at the end never affects earlier positions)."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, ex in enumerate(batch):
        n = len(ex.input_ids)
        ids[row, :n] = torch.tensor(ex.input_ids)
        labels[row, :n] = torch.tensor(ex.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def length_buckets(examples: Sequence[Example], batch_size: int, seed: int) -> list[list[int]]:
    """Batches of similar length (sorted within shuffled mega-batches) to limit padding."""
    import random

    rng = random.Random(seed)
    idx = list(range(len(examples)))
    rng.shuffle(idx)
    mega = batch_size * 16
    batches = []
    for start in range(0, len(idx), mega):
        chunk = sorted(idx[start:start + mega], key=lambda i: len(examples[i].input_ids))
        batches.extend(chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def padding_fraction(examples: Sequence[Example], batches: Sequence[Sequence[int]]) -> float:
    """Share of padded tokens over all token slots of the given batches."""
    real = total = 0
    for b in batches:
        lens = [len(examples[i].input_ids) for i in b]
        real += sum(lens)
        total += max(lens) * len(lens)
    return 1.0 - real / total if total else 0.0

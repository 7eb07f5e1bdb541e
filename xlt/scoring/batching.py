"""Batching and left padding shared by every scorer (the leaf of ``xlt.scoring``: it imports nothing else
of the package, so the plain, prefix, packed and CoT paths build on it without import cycles)."""

from __future__ import annotations

from typing import Iterator, Sequence


def batches(order: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    """Consecutive slices of ``order`` with at most ``size`` indices each."""
    for start in range(0, len(order), size):
        yield order[start:start + size]


def left_pad(seqs: list[list[int]], pad_id: int):
    """Left-padded ``(input_ids, attention_mask, position_ids)`` tensors of token sequences.

    Position ids count real tokens only, so left padding leaves every token's position as it would be
    unpadded (exact for rotary models).
    """
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, width - len(seq):] = torch.tensor(seq)
        mask[row, width - len(seq):] = 1
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    return ids, mask, pos

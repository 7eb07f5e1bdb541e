"""Model FLOP accounting for bench/eval_throughput.py (matmul FLOPs of a decoder-only forward)."""

from __future__ import annotations

import time
from typing import Sequence


def linear_params(config) -> int:
    """Weights of the per-token matmuls in all decoder layers (attention projections + MLP)."""
    d = config.hidden_size
    heads = config.num_attention_heads
    kv = getattr(config, "num_key_value_heads", None) or heads
    hd = getattr(config, "head_dim", None) or d // heads
    attn = d * heads * hd * 2 + d * kv * hd * 2          # q, o + k, v
    mlp = 3 * d * config.intermediate_size               # gate, up, down
    return config.num_hidden_layers * (attn + mlp)


def forward_flops(config, segments: Sequence[tuple[int, int]], logit_positions: int) -> float:
    """FLOPs of forwarding token segments ``(past_len, new_len)`` plus ``logit_positions`` vocab projections.

    2 FLOPs per multiply-add: 2 * linear params per token, 4 * layers * (heads * head_dim) * context
    per token for QK^T and AV, 2 * d * V per position whose logits are computed.
    """
    heads = config.num_attention_heads
    hd = getattr(config, "head_dim", None) or config.hidden_size // heads
    per_tok = 2 * linear_params(config)
    total = 0.0
    for past, new in segments:
        ctx_sum = new * past + new * (new + 1) / 2   # sum over new tokens of their context length
        total += per_tok * new + 4 * config.num_hidden_layers * heads * hd * ctx_sum
    return total + 2 * config.hidden_size * config.vocab_size * logit_positions


def matmul_flops_per_s(n: int = 1024, repeats: int = 10) -> float:
    """Achieved fp32 FLOP/s of an n×n×n matmul in this process (median of ``repeats``)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    times.sort()
    return 2 * n ** 3 / times[len(times) // 2]

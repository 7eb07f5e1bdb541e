"""Packed prefix sharing: all questions of a batch in one row, each passage encoded once, no padding.

The cached path (``xlt.scoring.prefix``) pads prefixes and suffixes separately and copies KV caches
per question; on 32-question Belebele samples a length-sorted batch of 8 was ~21 % padding. Here a
batch is one sequence: for every group (the questions of one passage) its shared prefix, then each
question's suffix. Position ids restart per question exactly as in its own prompt, so every token
sees the ids and positions the naive scorer gives it, and the linear layers see only real tokens.

Attention must not cross groups, and a later suffix must see its prefix but not the earlier
suffixes. SDPA has no variable-length CPU kernel and a dense block mask would cost O(row²), so this
module registers its own transformers attention function (written by hand for that reason): per
group, one causal SDPA call over prefix + first suffix, then each further suffix as queries over
[prefix, own suffix] with a lower-right causal mask. Sliding windows (by position) and attention sinks
(gpt-oss, computed as that model's eager code does) are honoured. A forward that does not route every
layer through it (a model with its own attention code), a sliding layer that does not pass its
window, or a layer that needs what it does not implement (soft-capping, position bias) raises
``PackUnsupported`` and the scorer falls back.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Sequence

from xlt.scoring.prefix import Group, PrefixUnsupported

ATTN_NAME = "xlt_packed"


class PackUnsupported(PrefixUnsupported):
    """The model cannot run packed attention exactly (the caller falls back)."""


@dataclass(frozen=True)
class Segment:
    """One group in the packed row: prefix at [start, start + prefix); suffix k at ``suffixes[k]`` = (begin, end)."""

    start: int
    prefix: int
    suffixes: tuple[tuple[int, int], ...]


@dataclass
class _State:
    segments: tuple[Segment, ...] = ()
    calls: int = 0
    windowed: int = 0


_local = threading.local()


def pack(enc: Sequence[Sequence[int]], groups: Sequence[Group]):
    """(token ids, position ids, segments, member order, row index of each member's last token)."""
    ids: list[int] = []
    pos: list[int] = []
    segments, members, ends = [], [], []
    for g in groups:
        start = len(ids)
        ids += enc[g.members[0]][: g.split]
        pos += range(g.split)
        spans = []
        for i in g.members:
            suffix = enc[i][g.split:]
            spans.append((len(ids), len(ids) + len(suffix)))
            ids += suffix
            pos += range(g.split, g.split + len(suffix))
            members.append(i)
            ends.append(len(ids) - 1)
        segments.append(Segment(start, g.split, tuple(spans)))
    return ids, pos, tuple(segments), members, ends


def _visible(q_pos, k_len: int, window: int | None, device):
    """[q, k] bool: key j (position j) is visible to a query at position p if j <= p and within the window."""
    import torch

    k_pos = torch.arange(k_len, device=device)
    mask = k_pos[None, :] <= q_pos[:, None]
    if window is not None:  # transformers' sliding_window_overlay: kv_idx > q_idx - window
        mask &= k_pos[None, :] > q_pos[:, None] - window
    return mask


def _sdpa(module, q, k, v, mask, scaling, sinks):
    """Attention of one span; with ``sinks`` (gpt-oss) as that model's eager code computes it."""
    import torch
    import torch.nn.functional as F

    if sinks is None:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None, scale=scaling,
                                              enable_gqa=q.shape[1] != k.shape[1])
    groups = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
    if mask is None:
        mask = _visible(torch.arange(q.shape[2], device=q.device), k.shape[2], None, q.device)
    logits = (q @ k.transpose(2, 3)) * scaling
    logits = logits.masked_fill(~mask, torch.finfo(logits.dtype).min)
    logits = torch.cat([logits, sinks.reshape(1, -1, 1, 1).expand(*logits.shape[:3], 1).to(logits.dtype)], dim=-1)
    probs = torch.softmax(logits - logits.amax(dim=-1, keepdim=True), dim=-1)[..., :-1]
    return probs.to(v.dtype) @ v


def _attention(module, query, key, value, attention_mask, dropout: float = 0.0, scaling=None, **kwargs):
    """Segment-wise attention over a packed row ([1, heads, T, dim] in, [1, T, heads, dim] out)."""
    import torch

    state: _State | None = getattr(_local, "state", None)
    if state is None:
        raise PackUnsupported("packed attention called outside a packed forward")
    for unsupported in ("softcap", "position_bias"):
        if kwargs.get(unsupported) is not None:
            raise PackUnsupported(f"{type(module).__name__} uses {unsupported}")
    if not getattr(module, "is_causal", True) or query.shape[0] != 1 or query.shape[2] != key.shape[2]:
        raise PackUnsupported(f"{type(module).__name__} is not causal self-attention over one packed row")
    window, sinks = kwargs.get("sliding_window"), kwargs.get("s_aux")
    state.calls += 1
    state.windowed += window is not None
    device = query.device
    out = query.new_empty(query.shape[:3] + value.shape[-1:])
    for seg in state.segments:
        sl = slice(seg.start, seg.suffixes[0][1])  # prefix + first suffix: plain causal
        n = sl.stop - sl.start
        mask = None if window is None else _visible(torch.arange(n, device=device), n, window, device)
        out[:, :, sl] = _sdpa(module, query[:, :, sl], key[:, :, sl], value[:, :, sl], mask, scaling, sinks)
        pre = slice(seg.start, seg.start + seg.prefix)
        for begin, end in seg.suffixes[1:]:  # later suffixes: [prefix, own suffix], lower-right causal
            sl = slice(begin, end)
            k = torch.cat([key[:, :, pre], key[:, :, sl]], dim=2)
            v = torch.cat([value[:, :, pre], value[:, :, sl]], dim=2)
            q_pos = seg.prefix + torch.arange(end - begin, device=device)
            mask = _visible(q_pos, k.shape[2], window, device)
            out[:, :, sl] = _sdpa(module, query[:, :, sl], k, v, mask, scaling, sinks)
    return out.transpose(1, 2).contiguous(), None


def _no_mask(*args, **kwargs):
    """The packed attention builds its own per-segment masks; transformers need not build one."""
    return None


def _register() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    AttentionInterface.register(ATTN_NAME, _attention)
    AttentionMaskInterface.register(ATTN_NAME, _no_mask)


def unsupported_reason(model) -> str | None:
    """Why ``model`` cannot use packed attention, judged from its config; None if it may try."""
    config = getattr(model, "config", None)
    if config is None:
        return f"{type(model).__name__} has no transformers config"
    if getattr(config, "_attn_implementation", None) not in ("sdpa", "eager"):
        return f"attention implementation {config._attn_implementation!r}"
    kinds = set(getattr(config, "layer_types", None) or ["full_attention"])
    if not kinds <= {"full_attention", "sliding_attention"}:
        return f"layer types {sorted(kinds)}"
    if getattr(config, "is_encoder_decoder", False):
        return "encoder-decoder model"
    return None


@contextmanager
def _packed(model, segments: tuple[Segment, ...]):
    _register()
    config = model.config
    old = config._attn_implementation
    _local.state = state = _State(segments)
    config._attn_implementation = ATTN_NAME
    try:
        yield state
    finally:
        config._attn_implementation = old
        _local.state = None


def packed_logprobs(model, enc: Sequence[Sequence[int]], groups: list[Group], pad_id: int):
    """Log-softmax over the vocabulary at each member's last position, the batch packed in one row.

    Returns (member indices in row order, [B, V] float32 log-probs). ``pad_id`` is unused (no padding).
    """
    import torch

    why = unsupported_reason(model)
    if why:
        raise PackUnsupported(why)
    ids, pos, segments, members, ends = pack(enc, groups)
    device = next(model.parameters()).device
    with torch.no_grad(), _packed(model, segments) as state:
        out = model(input_ids=torch.tensor([ids], device=device), position_ids=torch.tensor([pos], device=device),
                    use_cache=False, logits_to_keep=torch.tensor(ends, device=device))
    layers = getattr(model.config, "num_hidden_layers", None)
    if state.calls == 0 or (layers is not None and state.calls != layers):
        raise PackUnsupported(f"{state.calls} of {layers} layers ran the packed attention")
    sliding = list(getattr(model.config, "layer_types", None) or []).count("sliding_attention")
    if state.windowed != sliding:  # a sliding layer that did not pass its window would see too much
        raise PackUnsupported(f"{state.windowed} of {sliding} sliding-window layers passed their window")
    return members, torch.log_softmax(out.logits[0].float(), dim=-1)

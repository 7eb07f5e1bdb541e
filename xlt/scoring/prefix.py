"""Prefix reuse through the KV cache: questions that share a passage encode the shared prefix once.

Belebele has 1.84 questions per passage and the passage is most of every prompt, so about 40 % of
the tokens a per-question scorer encodes are repeats. Here a batch is made of *groups* (the questions
of one passage); each group's common token prefix runs once with ``use_cache=True``, its KV cache is
copied to one row per question (``DynamicCache.batch_select_indices``), and only the suffixes
(question, options, "Answer:") run per question.

Exactness: the split point is the longest common prefix of the *token ids* of the full prompts, so
every question sees exactly the ids and positions the naive scorer sees. Padding sits in two places
(left of the prefix, and between prefix and suffix); the attention mask hides both and explicit
``position_ids`` continue from each row's real prefix length, so padding changes nothing.

This is the fallback for models the packed path (``xlt.scoring.packed``, the default) cannot run;
it is slower on CPU (padding twice, cache copies): bench/eval_throughput.py, SmolLM2-135M fp32,
batch 8, 32 questions, idle 2-core machine: English 8.3 q/s vs 10.8 packed vs 6.8 without reuse.
Choose it with ``data.prefix_reuse=cache``.

Only plain ``DynamicLayer`` caches are reused (full attention, every layer keeps every position);
sliding-window or linear-attention caches, or models without a cache, fall back to the simple path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Sequence

from xlt.scoring.batching import left_pad

# A shared prefix shorter than this is not worth a second forward call.
MIN_SHARED_TOKENS = 8


@dataclass(frozen=True)
class Group:
    """Questions (indices into the encoded prompts) scored from one shared prefix of ``split`` tokens."""

    members: tuple[int, ...]
    split: int


def common_prefix_len(seqs: Sequence[Sequence[int]]) -> int:
    """Length of the longest common prefix of several token sequences."""
    first = seqs[0]
    n = min(len(s) for s in seqs)
    for pos in range(n):
        tok = first[pos]
        if any(s[pos] != tok for s in seqs[1:]):
            return pos
    return n


def plan_groups(enc: Sequence[Sequence[int]], keys: Sequence[Hashable],
                min_shared: int = MIN_SHARED_TOKENS) -> list[Group]:
    """Group prompts by ``keys`` (e.g. (lang, link)); groups whose token prefix is too short split up.

    Every member keeps at least one suffix token (the answer position must be computed in the
    suffix pass). A singleton's split is its length minus one, so it runs as prefix + 1 token.
    """
    by_key: dict[Hashable, list[int]] = {}
    for i, key in enumerate(keys):
        by_key.setdefault(key, []).append(i)
    groups: list[Group] = []
    for members in by_key.values():
        if len(members) > 1:
            split = min(common_prefix_len([enc[i] for i in members]), min(len(enc[i]) for i in members) - 1)
            if split >= min_shared:
                groups.append(Group(tuple(members), split))
                continue
        groups.extend(Group((i,), len(enc[i]) - 1) for i in members)
    return groups


def batch_groups(groups: list[Group], enc: Sequence[Sequence[int]], batch_size: int) -> list[list[Group]]:
    """Length-sorted batches (longest prefix first) of at most ``batch_size`` questions each.

    A group larger than ``batch_size`` is cut into chunks that keep its split (each chunk still
    shares its prefix; with ``batch_size`` 1 nothing is shared).
    """
    size = max(1, batch_size)
    chunks = [Group(g.members[k:k + size], g.split) for g in groups for k in range(0, len(g.members), size)]
    order = sorted(chunks, key=lambda g: (-g.split, -max(len(enc[i]) for i in g.members)))
    batches: list[list[Group]] = []
    current: list[Group] = []
    count = 0
    for g in order:
        if current and count + len(g.members) > size:
            batches.append(current)
            current, count = [], 0
        current.append(g)
        count += len(g.members)
    if current:
        batches.append(current)
    return batches


def reusable_cache(cache) -> str | None:
    """None if ``cache`` can be row-copied and extended exactly; otherwise why not."""
    from transformers.cache_utils import DynamicCache, DynamicLayer

    if not isinstance(cache, DynamicCache):
        return f"model returned {type(cache).__name__}, not a DynamicCache"
    kinds = {type(layer).__name__ for layer in cache.layers}
    if any(type(layer) is not DynamicLayer for layer in cache.layers):
        return f"cache layers {sorted(kinds)} are not all full-attention DynamicLayer"
    return None


def _cache_kwarg(model) -> str:
    """transformers renamed ``past_key_values`` to ``cache`` (5.2x; the old name goes in 5.40)."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model  # peft wrappers
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


def _returned_cache(out):
    cache = getattr(out, "cache", None)
    return cache if cache is not None else getattr(out, "past_key_values", None)


class PrefixUnsupported(RuntimeError):
    """The model's cache cannot be reused exactly (the caller falls back to full prompts)."""


def shared_prefix_logprobs(model, enc: Sequence[Sequence[int]], groups: list[Group], pad_id: int):
    """Log-softmax over the vocabulary at each member's last position, prefixes encoded once per group.

    Returns (member indices in row order, [B, V] float32 log-probs).
    """
    import torch

    device = next(model.parameters()).device
    prefixes = [list(enc[g.members[0]][: g.split]) for g in groups]
    p_ids, p_mask, p_pos = left_pad(prefixes, pad_id)
    with torch.no_grad():
        out = model(input_ids=p_ids.to(device), attention_mask=p_mask.to(device),
                    position_ids=p_pos.to(device), use_cache=True, logits_to_keep=1)
    cache = _returned_cache(out)
    why = reusable_cache(cache)
    if why:
        raise PrefixUnsupported(why)
    rows = [(gi, i) for gi, g in enumerate(groups) for i in g.members]
    cache.batch_select_indices(torch.tensor([gi for gi, _ in rows], device=device))
    s_ids, s_mask, s_pos = left_pad([list(enc[i][groups[gi].split:]) for gi, i in rows], pad_id)
    sel = torch.tensor([gi for gi, _ in rows])
    mask = torch.cat([p_mask[sel], s_mask], dim=1)
    pos = s_pos + torch.tensor([groups[gi].split for gi, _ in rows])[:, None]
    with torch.no_grad():
        out = model(input_ids=s_ids.to(device), attention_mask=mask.to(device), position_ids=pos.to(device),
                    use_cache=True, logits_to_keep=1, **{_cache_kwarg(model): cache})
    return [i for _, i in rows], torch.log_softmax(out.logits[:, -1, :].float(), dim=-1)

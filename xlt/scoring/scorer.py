"""Batched label scoring: one forward pass per question, log-softmax at the answer position,
gathered at the four label tokens.

Prompts are left-padded and length-sorted; explicit position ids keep left padding exact for
rotary models, and ``logits_to_keep=1`` avoids computing the vocabulary projection (and a
log-softmax) at every position — the main cost lm-evaluation-harness pays. With prefix reuse (the
default) a passage shared by two questions is encoded once (``xlt.scoring.packed``, falling back to
``xlt.scoring.prefix``).
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence

from xlt.data.encode import encode_prompt, prompt_text
from xlt.data.items import Item
from xlt.data.prompts import PromptFormat
from xlt.results.records import Prediction
from xlt.scoring.batching import batches, left_pad
from xlt.scoring.labels import LabelTokens, resolve_labels
from xlt.scoring.packed import packed_logprobs
from xlt.scoring.prefix import PrefixUnsupported, batch_groups, plan_groups, shared_prefix_logprobs

log = logging.getLogger(__name__)


def last_position_logprobs(model, seqs: list[list[int]], pad_id: int):
    """Log-softmax over the vocabulary at each sequence's last position ([B, V], float32)."""
    import torch

    device = next(model.parameters()).device
    ids, mask, pos = left_pad(seqs, pad_id)
    with torch.no_grad():
        out = model(input_ids=ids.to(device), attention_mask=mask.to(device),
                    position_ids=pos.to(device), logits_to_keep=1, use_cache=False)
    return torch.log_softmax(out.logits[:, -1, :].float(), dim=-1)


def continuation_logprobs(model, prompts: list[list[int]], conts: list[tuple[int, ...]], pad_id: int):
    """Sum of log-probs of each continuation after its prompt (fallback for multi-token labels).

    Left padding puts every continuation at the end, so only the last ``max(len(cont)) + 1``
    positions need logits.
    """
    import torch

    seqs = [p + list(c) for p, c in zip(prompts, conts)]
    device = next(model.parameters()).device
    ids, mask, pos = left_pad(seqs, pad_id)
    keep = max(len(c) for c in conts) + 1
    with torch.no_grad():
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device),
                       position_ids=pos.to(device), use_cache=False, logits_to_keep=keep).logits.float()
    logp = torch.log_softmax(logits[:, :-1], dim=-1)  # logp[:, j] predicts token width - keep + 1 + j
    width = ids.shape[1]
    sums = []
    for row, cont in enumerate(conts):
        n = len(cont)
        targets = ids[row, width - n:].to(device)
        steps = logp[row, keep - 1 - n: keep - 1]
        sums.append(float(steps.gather(-1, targets[:, None]).sum()))
    return sums


def _label_scores_simple(model, enc, order, batch_size, pad, token_ids, progress):
    scores: dict[int, list[float]] = {}
    for batch in batches(order, batch_size):
        logp = last_position_logprobs(model, [enc[i] for i in batch], pad)
        scores.update(zip(batch, logp[:, list(token_ids)].tolist()))
        if progress:
            progress(len(batch))
    return scores


REUSE_CHOICES = ("auto", "packed", "cache", "off")


def reuse_mode(value) -> str:
    """Normalise ``data.prefix_reuse`` (true/false or a method name) to one of ``REUSE_CHOICES``."""
    if value is True or value is None:
        return "auto"
    if value is False:
        return "off"
    if str(value) in REUSE_CHOICES:
        return str(value)
    raise ValueError(f"data.prefix_reuse={value!r} is not valid; use true, false or one of {', '.join(REUSE_CHOICES)}")


def _label_scores_prefix(model, enc, keys, batch_size, pad, token_ids, progress, method):
    forward = packed_logprobs if method == "packed" else shared_prefix_logprobs
    scores: dict[int, list[float]] = {}
    for batch in batch_groups(plan_groups(enc, keys), enc, batch_size):
        members, logp = forward(model, enc, batch, pad)
        scores.update(zip(members, logp[:, list(token_ids)].tolist()))
        if progress:
            progress(len(members))
    return scores


def score_items(model, tok, items: Sequence[Item], fmt: PromptFormat, *, chat_template: bool = False,
                batch_size: int = 8, labels: LabelTokens | None = None,
                prompts: Sequence[str] | None = None,
                progress: Callable[[int], None] | None = None,
                prefix_reuse: bool | str = False) -> list[Prediction]:
    """Score every item; returns predictions in the input order.

    ``prompts`` overrides the rendered prompt text per item (CoT appends reasoning this way).
    ``progress`` is called with the number of items finished after each batch.
    ``prefix_reuse`` (the pipeline passes ``data.prefix_reuse``) encodes the passage shared by the
    questions of one (lang, link) once: ``"packed"`` (``xlt.scoring.packed``: one unpadded row per
    batch), ``"cache"`` (``xlt.scoring.prefix``: KV cache copied per question), ``True``/``"auto"``
    (packed, else cache), ``False``/``"off"``. A model that cannot run a method exactly falls back to
    the next one, with a warning. The multi-token continuation fallback never reuses prefixes.
    """
    labels = labels or resolve_labels(tok, fmt.labels)
    texts = list(prompts) if prompts is not None else [prompt_text(tok, it, fmt, chat_template) for it in items]
    enc = [encode_prompt(tok, t, chat_template) + list(labels.lead) for t in texts]
    order = sorted(range(len(items)), key=lambda i: -len(enc[i]))  # longest first: OOM shows early
    pad = tok.pad_token_id
    scores: dict[int, list[float]] | None = None
    mode = reuse_mode(prefix_reuse)
    methods = {"auto": ("packed", "cache"), "packed": ("packed",), "cache": ("cache",), "off": ()}[mode]
    if labels.single_token:
        keys = [(it.lang, it.link) for it in items]
        for method in methods:
            try:
                scores = _label_scores_prefix(model, enc, keys, batch_size, pad, labels.token_ids, progress, method)
                break
            except PrefixUnsupported as why:
                # raised by the first batch, before any progress is reported
                log.warning("prefix reuse off (method %s) for %s: %s", method, type(model).__name__, why)
    if scores is None and labels.single_token:
        scores = _label_scores_simple(model, enc, order, batch_size, pad, labels.token_ids, progress)
    if scores is None:
        scores = {}
        conts = [c[len(labels.lead):] for c in labels.continuations]
        k = len(conts)
        for batch in batches(order, max(1, batch_size // k)):  # K rows per item
            flat = continuation_logprobs(model, [enc[i] for i in batch for _ in conts], conts * len(batch), pad)
            for row, i in enumerate(batch):
                scores[i] = flat[k * row: k * row + k]
            if progress:
                progress(len(batch))
    method = "label-token" if labels.single_token else "continuation"
    preds = []
    for i, it in enumerate(items):
        lp = scores[i]
        preds.append(Prediction(it.lang, it.link, it.question_number, lp,
                                1 + max(range(len(lp)), key=lambda k: lp[k]), it.answer, method))
    return preds

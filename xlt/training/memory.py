"""Memory of a CPU training step, estimated before the first step, and a plan that fits.

A LoRA step on CPU holds: the process itself (torch, transformers, Lightning), the frozen weights,
the LoRA weights with their grads and AdamW states, the activations autograd keeps for backward,
and the logits at the answer positions (``xlt.training.module.answer_only_loss``). Activations
dominate: per token and decoder layer, ``act_width`` elements (``xlt.models.presets``) times a
bytes-per-element factor measured on this CPU path (eager PyTorch keeps more than the fused GPU
kernels that ``act_width`` counts: norms in fp32, rotary copies, LoRA dropout copies).

The plan keeps the effective batch (micro-batch x accumulation) and, when the configured step does
not fit, first splits it into micro-batches, then turns on gradient checkpointing, and otherwise
stops before training with one line naming the estimate and the limit. ``MemoryGuard`` stops a run
whose real use passes the limit anyway (clear error instead of the kernel's OOM killer).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

from xlt.errors import ConfigError
from xlt.models.presets import ModelStats

log = logging.getLogger(__name__)

GIB = 2**30
PROCESS_BYTES = 1.6 * GIB  # python + torch + transformers + lightning, measured RSS before the model
# Bytes per (token x layer x act_width element), measured with SmolLM2-135M (30 layers, 4 x ~690 tokens,
# 2026-12-01), rounded up: fp32 no checkpointing 11.9, bf16 autocast 5.7, checkpointing fp32 4.9 / bf16 1.2.
ACT_BYTES = {(False, False): 12.5, (False, True): 6.0, (True, False): 5.0, (True, True): 1.5}
LOGIT_BYTES = 16  # fp32 logits + fp32 log-softmax + their grads, per (answer position, vocab) element


@dataclass(frozen=True)
class StepPlan:
    """How a step is run: micro-batch, accumulation, checkpointing, and its estimated peak (bytes)."""

    micro_batch: int
    grad_accum: int
    gradient_checkpointing: bool
    estimate: float
    limit: float

    def describe(self) -> str:
        """One line for the log: the plan and its estimate against the limit."""
        return (f"micro-batch {self.micro_batch} x accumulation {self.grad_accum} "
                f"(effective {self.micro_batch * self.grad_accum}), gradient checkpointing "
                f"{'on' if self.gradient_checkpointing else 'off'}: estimated peak {self.estimate / GIB:.1f} GiB "
                f"of {self.limit / GIB:.1f} GiB")


def step_bytes(stats: ModelStats, micro_batch: int, seq_len: int, checkpointing: bool, bf16: bool,
               param_bytes: int = 4, answer_tokens: int = 2) -> float:
    """Estimated peak RSS (bytes) of one training step on CPU."""
    tokens = micro_batch * seq_len
    frozen = (stats.total_params - stats.trainable_params) * param_bytes
    lora = stats.trainable_params * 16  # fp32 weights + grads + AdamW m and v
    acts = tokens * stats.num_layers * stats.act_width * ACT_BYTES[(checkpointing, bf16)]
    # answer-only loss: logits at the union of answer positions, for every row of the micro-batch
    logits = micro_batch * micro_batch * answer_tokens * stats.vocab_size * LOGIT_BYTES
    return PROCESS_BYTES + frozen + lora + acts + logits


def available_bytes() -> float:
    """Memory this process may use: the cgroup limit when there is one, else MemAvailable + own RSS."""
    import psutil

    own = psutil.Process().memory_info().rss
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            raw = open(path).read().strip()
        except OSError:
            continue
        if raw.isdigit() and int(raw) < 1 << 50:
            return float(min(int(raw), psutil.virtual_memory().available + own))
    return float(psutil.virtual_memory().available + own)


def plan_step(stats: ModelStats, batch_size: int, grad_accum: int, seq_len: int, checkpointing: bool,
              bf16: bool, limit: float, fraction: float = 0.85, adapt: bool = True) -> StepPlan:
    """The configured step if it fits ``fraction`` of ``limit``; else the largest micro-batch that keeps
    the effective batch, without then with gradient checkpointing; else ConfigError (one line)."""
    budget = fraction * limit
    effective = batch_size * grad_accum
    first = StepPlan(batch_size, grad_accum, checkpointing,
                     step_bytes(stats, batch_size, seq_len, checkpointing, bf16), limit)
    if first.estimate <= budget:
        return first
    if adapt:
        for gc in dict.fromkeys([checkpointing, True]):
            micro = batch_size
            while micro >= 1:
                est = step_bytes(stats, micro, seq_len, gc, bf16)
                if est <= budget and effective % micro == 0:
                    return StepPlan(micro, effective // micro, gc, est, limit)
                micro //= 2
    raise ConfigError(
        f"training step does not fit memory: batch {batch_size} x {seq_len} tokens of {stats.name} needs about "
        f"{first.estimate / GIB:.1f} GiB, the limit is {budget / GIB:.1f} GiB ({fraction:.0%} of "
        f"{limit / GIB:.1f}); lower regime.max_length or regime.batch_size, or set "
        "regime.gradient_checkpointing=true")


class MemoryGuard:
    """Watches this process's RSS during training; past ``limit`` bytes it interrupts the main thread
    (Lightning shuts down gracefully) so the caller can raise a clear error instead of being OOM-killed."""

    def __init__(self, limit: float, interval_s: float = 0.5) -> None:
        self.limit, self.interval_s = limit, interval_s
        self.peak = 0.0
        self.tripped = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _watch(self) -> None:
        import _thread

        import psutil

        proc = psutil.Process(os.getpid())
        while True:  # sample first, then wait: a short run is watched from its start
            rss = proc.memory_info().rss
            self.peak = max(self.peak, rss)
            if rss > self.limit and not self.tripped:
                self.tripped = True
                log.error("memory guard: RSS %.1f GiB passed the limit %.1f GiB; stopping training",
                          rss / GIB, self.limit / GIB)
                _thread.interrupt_main()
                return
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self) -> "MemoryGuard":
        self._thread = threading.Thread(target=self._watch, name="xlt-memory-guard", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def error(self) -> ConfigError:
        """The one-line error of a tripped guard."""
        return ConfigError(f"training stopped: memory use passed {self.limit / GIB:.1f} GiB (the estimate was "
                           "too low for this machine); lower regime.batch_size or regime.max_length, or set "
                           "regime.gradient_checkpointing=true; the last checkpoint is kept for resuming")

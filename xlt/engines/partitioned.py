"""ZeRO-3 partitioned evaluation: a model that does not fit one device is scored with its weights still
partitioned across the ranks of the training job, each rank scoring its share of the items.

Under ZeRO-3 every forward gathers each layer's weights from all ranks (a collective per layer), so the
ranks must run the same number of forwards even when their shares differ in size. transformers solves
this for ``generate`` (``synced_gpus``) only; :class:`Lockstep` does it for any forward: before each
forward the ranks agree (one all-reduce) that someone still has work, and a rank whose share is done
joins with a one-token dummy forward until every rank is done. Written here because neither DeepSpeed
nor Lightning offers it for arbitrary (packed, prefix-reusing) scoring loops.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from xlt.engines.sharded import eval_device

log = logging.getLogger(__name__)


class Lockstep:
    """Keeps the ranks' forwards paired one to one. Hooked first on the partitioned model (before
    DeepSpeed's own start-of-forward hook, whose trace checks are collectives too): every scoring forward
    and every ``generate`` step passes through it. :meth:`drain` runs the dummy forwards of a rank whose
    share is done; every rank calls it after each share."""

    def __init__(self, model: Any, pad_id: int) -> None:
        import torch

        self.model = model
        self.dummy = torch.tensor([[int(pad_id)]])
        self.draining = False
        self.forwards = 0  # this rank's real forwards (tests, logs)
        self._handle = model.register_forward_pre_hook(self._before_forward, prepend=True)

    def _agree(self, working: bool) -> bool:
        """One all-reduce: does any rank still have a forward to run?"""
        import torch
        import torch.distributed as dist

        flag = torch.tensor([1 if working else 0], device=eval_device())
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    def _before_forward(self, module, args) -> None:
        if not self.draining:
            self.forwards += 1
            self._agree(True)

    def drain(self) -> int:
        """Join the other ranks' remaining forwards with dummy ones; returns how many were run."""
        import torch

        self.draining, dummies = True, 0
        try:
            with torch.no_grad():
                while self._agree(False):
                    self.model(input_ids=self.dummy.to(eval_device()), use_cache=False)
                    dummies += 1
        finally:
            self.draining = False
        return dummies

    def close(self) -> None:
        """Remove the hook."""
        self._handle.remove()


def open_partitioned(model_cfg: Any, adapter: Path | None, ds_config: dict[str, Any]) -> Any:
    """The base loaded partitioned (ZeRO-3: ``HfDeepSpeedConfig`` alive during ``from_pretrained``), the
    saved adapter injected unmerged (merging needs whole weights), wrapped by ``deepspeed.initialize``
    without an optimizer, which installs the gather hooks. Returns the causal LM itself, not peft's
    wrapper: ``generate`` calls the causal LM, so every forward enters through the one module DeepSpeed
    and :class:`Lockstep` hook. Collective: every rank calls it."""
    import deepspeed
    from transformers.integrations import HfDeepSpeedConfig
    from transformers.integrations.deepspeed import unset_hf_deepspeed_config

    from xlt.models.loading import load_model

    zero = {k: v for k, v in ds_config["zero_optimization"].items() if k != "offload_optimizer"}  # no optimizer
    ds_config = {**ds_config, "zero_optimization": zero}
    keep = HfDeepSpeedConfig(ds_config)  # noqa: F841 - registered by weakref: must live through loading
    try:
        model = load_model(model_cfg)
        if adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter)).get_base_model()  # LoRA layers in place
        engine, *_ = deepspeed.initialize(model=model, config=ds_config)
    finally:
        unset_hf_deepspeed_config()  # later loads are whole again; generate() needs no synced_gpus
    engine.module.eval()
    local, total = held_weights(engine.module)
    log.info("evaluating ZeRO-3 partitioned: this rank holds %d of %d weights", local, total)
    return engine.module


def held_weights(model: Any) -> tuple[int, int]:
    """(elements this rank stores, elements of the whole model) of a ZeRO-3 model: a partitioned tensor
    keeps its shard in ``ds_tensor`` (persistent small ones stay whole on every rank)."""
    local = total = 0
    for p in model.parameters():
        full = int(getattr(p, "ds_numel", p.numel()))
        total += full
        local += full if getattr(p, "ds_persist", False) or not hasattr(p, "ds_tensor") else p.ds_tensor.numel()
    return local, total

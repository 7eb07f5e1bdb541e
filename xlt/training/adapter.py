"""Attach LoRA to a model, and save the trained adapter alone (gathered under DeepSpeed ZeRO)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from xlt.config.schema import ModelConf, RegimeConf, typed

log = logging.getLogger(__name__)

ADAPTER_FILE = "adapter_model.safetensors"


def lora_config(model_cfg: ModelConf, regime: RegimeConf):
    """peft LoraConfig for a preset's targets and the regime's LoRA hyperparameters.

    peft refuses ``lora_dropout != 0`` on ``target_parameters`` (fused MoE expert tensors: dropout cannot
    be factored out of ``lora_B(lora_A(dropout(x)))``) and has no per-module dropout, so presets with
    expert targets train with dropout 0 everywhere (logged).
    """
    from peft import LoraConfig

    model_cfg, regime = typed(ModelConf, model_cfg), typed(RegimeConf, regime)
    kwargs: dict[str, Any] = {}
    dropout = float(regime.lora.dropout)
    target_parameters = list(model_cfg.lora_target_parameters)
    if target_parameters:
        kwargs["target_parameters"] = target_parameters
        if dropout:
            log.warning("%s: LoRA dropout %.3g -> 0 (peft refuses dropout on target_parameters %s)",
                        model_cfg.name, dropout, target_parameters)
            dropout = 0.0
    return LoraConfig(r=int(regime.lora.r), lora_alpha=int(regime.lora.alpha), lora_dropout=dropout,
                      target_modules=lora_targets(model_cfg), task_type="CAUSAL_LM", **kwargs)


def lora_targets(model_cfg: ModelConf) -> list[str] | str:
    """The preset's LoRA target modules; unnamed (``model=hf``): peft's ``all-linear`` (every linear
    layer but the output head), the usual QLoRA choice, which works for any architecture."""
    named = typed(ModelConf, model_cfg).lora_targets
    return list(named) if named else "all-linear"


def attach_lora(model, model_cfg: ModelConf, regime: RegimeConf):
    """Wrap ``model`` with peft LoRA on the preset's target modules (and expert parameters)."""
    from peft import get_peft_model

    return get_peft_model(model, lora_config(model_cfg, regime))


def lora_module_names(peft_model) -> list[str]:
    """Names (relative to the base model) of the modules that carry LoRA weights."""
    from peft.tuners.lora import LoraLayer

    base = peft_model.get_base_model() if hasattr(peft_model, "get_base_model") else peft_model
    return sorted(n for n, m in base.named_modules() if isinstance(m, LoraLayer))


def gathered_trainable_state(peft_model) -> dict[str, torch.Tensor]:
    """Full fp32 CPU copies of the trainable (LoRA) weights, keyed like ``state_dict``.

    Under DeepSpeed the optimizer's fp32 master copy is read (under ZeRO-3 gathered from every rank),
    so this is a collective: call it on every rank. Saving ZeRO-3 weights without gathering writes
    empty tensors (peft#453).
    """
    try:
        from deepspeed.utils import safe_get_full_fp32_param
    except ImportError:  # DeepSpeed not installed: plain parameters only
        safe_get_full_fp32_param = None  # type: ignore[assignment]
    out: dict[str, torch.Tensor] = {}
    for name, p in peft_model.named_parameters():
        if not p.requires_grad:
            continue
        full = None
        if safe_get_full_fp32_param is not None and (hasattr(p, "ds_id") or hasattr(p, "_hp_mapping")):
            full = safe_get_full_fp32_param(p)
        if full is None:
            if hasattr(p, "ds_id"):  # partitioned but no optimizer yet: gather the module weight
                import deepspeed

                with deepspeed.zero.GatheredParameters([p]):
                    full = p.detach().clone()
            else:
                full = p.detach()
        out[name] = full.detach().to("cpu", torch.float32).clone()
    return out


def save_adapter(peft_model, out_dir: Path, state: dict[str, torch.Tensor]) -> Path:
    """Write the adapter (config + ``state``) and check that every saved tensor is non-empty and
    equal to what was gathered. Call on one rank only, after ``gathered_trainable_state`` on all."""
    from safetensors.torch import load_file

    out_dir = Path(out_dir)
    if not state or any(t.numel() == 0 for t in state.values()):
        raise RuntimeError(f"refusing to save an empty LoRA adapter to {out_dir} (ungathered ZeRO-3 weights?)")
    peft_model.save_pretrained(out_dir, state_dict=state, safe_serialization=True)
    saved = load_file(str(out_dir / ADAPTER_FILE))
    if len(saved) != len(state) or any(t.numel() == 0 for t in saved.values()):
        raise RuntimeError(f"adapter in {out_dir} has {len(saved)} tensors for {len(state)} trainable ones, "
                           "or empty tensors")
    # peft drops the adapter name from keys on save; every saved tensor must equal the gathered one.
    for key, tensor in state.items():
        if not torch.equal(saved[key.replace(".default", "")], tensor):
            raise RuntimeError(f"saved adapter tensor {key} differs from the gathered weights")
    return out_dir

"""Model presets on paper: compose a preset offline and measure it on the meta device.

Nothing here downloads weights. ``model_stats`` instantiates the preset's architecture on the ``meta``
device (shapes only, no memory), attaches the LoRA adapters the training code would attach, and
reports the numbers a memory planner needs (``xlt.plan``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from xlt.config.compose import CONF_DIR, compose
from xlt.config.schema import ModelConf, typed


def preset_names(conf_dir: Path = CONF_DIR) -> list[str]:
    """All presets in ``conf/model`` (real ones and tiny twins)."""
    return sorted(p.stem for p in (conf_dir / "model").glob("*.yaml"))


def compose_model(name: str) -> DictConfig:
    """The ``model`` node of the root config composed with ``model=name`` (defaults lists resolved, so
    tiny twins inherit their parent); offline, safe inside a running Hydra app."""
    return compose([f"model={name}"]).model


@dataclass(frozen=True)
class ModelStats:
    """Parameter counts and shapes of a preset with its LoRA adapters (all counts are elements)."""

    name: str
    total_params: int  # base model, as instantiated by transformers (DeepSeek: without the MTP layer)
    trainable_params: int  # LoRA A/B for the preset's targets at rank r
    largest_layer_params: int  # largest single module's own params: what ZeRO-3 gathers at once
    largest_trainable_layer_params: int
    merged_expert_params: int  # largest per-module sum of peft-targeted fused expert tensors
    num_layers: int
    num_moe_layers: int
    hidden_size: int
    vocab_size: int
    act_width: float  # mean stored activation elements per token per layer (see activation_width)


def activation_width(config: Any) -> float:
    """Elements per token per decoder layer that autograd keeps for backward (bf16, no checkpointing).

    A SwiGLU decoder layer with fused (flash/SDPA) attention keeps: 2 norm inputs and 2 normed inputs
    (4h), q, k, v and the attention output (2q + 2kv), and for the MLP gate, up and act(gate)*up per
    activated intermediate unit (3 I). For MoE, I is the activated width: top-k (+ shared) experts.
    Mirrors Korthikanti et al. (2022) 34*s*b*h for a plain GPT layer, without the s^2 attention term.
    """
    h = config.hidden_size
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    if getattr(config, "kv_lora_rank", None):  # MLA: latent projections plus expanded per-head q/k/v
        qk = config.qk_nope_head_dim + config.qk_rope_head_dim
        q = heads * qk + (config.q_lora_rank or 0)
        kv = (heads * qk + heads * config.v_head_dim) / 2 + config.kv_lora_rank + config.qk_rope_head_dim
    else:
        head_dim = getattr(config, "head_dim", None) or h // heads
        q, kv = heads * head_dim, kv_heads * head_dim
    widths = []
    for i in range(config.num_hidden_layers):
        widths.append(4 * h + 2 * q + 2 * kv + 3 * _active_intermediate(config, i))
    return sum(widths) / len(widths)


def _active_intermediate(config: Any, layer: int) -> int:
    """Intermediate width a token passes through in ``layer`` (summed over its activated experts)."""
    if getattr(config, "n_routed_experts", None):  # DeepSeek-V3: dense first, then routed + shared
        if layer < (config.first_k_dense_replace or 0):
            return config.intermediate_size
        return config.moe_intermediate_size * (config.num_experts_per_tok + (config.n_shared_experts or 0))
    if getattr(config, "num_local_experts", None):  # gpt-oss, Mixtral-style
        return config.intermediate_size * config.num_experts_per_tok
    return config.intermediate_size


def _num_moe_layers(config: Any) -> int:
    if getattr(config, "n_routed_experts", None):
        return config.num_hidden_layers - (config.first_k_dense_replace or 0)
    if getattr(config, "num_local_experts", None):
        return config.num_hidden_layers
    return 0


def model_stats(model_cfg: DictConfig, r: int = 16, alpha: int = 32) -> ModelStats:
    """Build the preset on the meta device, attach LoRA as training does, and count (exact, ~1 s)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from xlt.models.arch import arch_config
    from xlt.training.adapter import lora_targets

    config = arch_config(model_cfg)
    targets_p = list(typed(ModelConf, model_cfg).lora_target_parameters)
    with torch.device("meta"):  # shapes only: a 671B model costs no memory
        model = AutoModelForCausalLM.from_config(config)
        total = sum(p.numel() for p in model.parameters())
        largest = max(sum(p.numel() for p in m.parameters(recurse=False)) for m in model.modules())
        merged = 0  # peft materialises W + BA for every targeted expert tensor of a module per forward
        for mod_name, mod in model.named_modules():
            own = dict(mod.named_parameters(recurse=False))
            hit = [p.numel() for n, p in own.items() if any(f"{mod_name}.{n}".endswith(t) for t in targets_p)]
            merged = max(merged, sum(hit))
        lora = LoraConfig(
            r=r,
            lora_alpha=alpha,
            lora_dropout=0.0,  # peft refuses dropout on target_parameters; counts do not depend on it
            target_modules=lora_targets(model_cfg),
            target_parameters=targets_p or None,
        )
        peft_model = get_peft_model(model, lora)
    trainable = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
    largest_t = max(
        sum(p.numel() for p in m.parameters(recurse=False) if p.requires_grad) for m in peft_model.modules()
    )
    return ModelStats(
        name=str(model_cfg.name),
        total_params=total,
        trainable_params=trainable,
        largest_layer_params=largest,
        largest_trainable_layer_params=largest_t,
        merged_expert_params=merged,
        num_layers=config.num_hidden_layers,
        num_moe_layers=_num_moe_layers(config),
        hidden_size=config.hidden_size,
        vocab_size=config.vocab_size,
        act_width=activation_width(config),
    )

"""Load a preset's model and tokenizer: a cached tiny twin offline, or the hub / a local path.

Weights load with safetensors only; remote code stays off unless the preset says why.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig


def _dtype(name: str):
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def model_source(model_cfg: DictConfig) -> tuple[str, dict[str, Any]]:
    """Where to load from and the kwargs that pin it (revision, remote code)."""
    if model_cfg.get("tiny", False):
        from xlt.models.tiny import ensure_tiny

        return str(ensure_tiny(model_cfg)), {}
    path = model_cfg.get("local_path") or model_cfg.hub_id
    kwargs: dict[str, Any] = {"trust_remote_code": bool(model_cfg.get("trust_remote_code", False))}
    if not model_cfg.get("local_path") and model_cfg.get("revision"):
        kwargs["revision"] = model_cfg.revision
    return str(path), kwargs


def load_tokenizer(model_cfg: DictConfig):
    """The preset's tokenizer (a pad token is guaranteed: eos when the model has none)."""
    from transformers import AutoTokenizer

    path, kwargs = model_source(model_cfg)
    tok = AutoTokenizer.from_pretrained(path, **kwargs)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(model_cfg: DictConfig, dtype: str | None = None):
    """The preset's causal LM in eval mode (callers that train switch it to train mode)."""
    from transformers import AutoModelForCausalLM

    path, kwargs = model_source(model_cfg)
    model = AutoModelForCausalLM.from_pretrained(
        path, dtype=_dtype(dtype or model_cfg.dtype), use_safetensors=True, **kwargs
    )
    model.eval()
    return model

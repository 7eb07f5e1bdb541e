"""Load a preset's model and tokenizer: a cached tiny twin, a packaged GGUF, a local folder or the hub.

Weights load with safetensors only; remote code stays off unless the preset says why.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from xlt.config.schema import ModelConf, typed


def _dtype(name: str):
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def model_source(model_cfg: DictConfig) -> tuple[str, dict[str, Any]]:
    """Where to load from and the kwargs that pin it (resolved revision, remote code)."""
    model_cfg = typed(ModelConf, model_cfg)
    if model_cfg.tiny:
        from xlt.models.tiny import ensure_tiny

        return str(ensure_tiny(model_cfg)), {}
    from xlt.models.checkpoint import cache_root, check_loadable

    ckpt = check_loadable(model_cfg)
    if ckpt.kind == "gguf":
        from xlt.models.gguf import ensure_converted

        return str(ensure_converted(model_cfg.gguf, cache_root())), {}
    kwargs: dict[str, Any] = {"trust_remote_code": model_cfg.trust_remote_code}
    if ckpt.kind == "hub":
        kwargs["revision"] = ckpt.revision  # the commit the condition id was computed from
    return ckpt.location, kwargs


def uses_chat_template(model_cfg: DictConfig, tok) -> bool:
    """``chat_template: auto`` (or null) means: use the tokenizer's template when it has one."""
    value = typed(ModelConf, model_cfg).chat_template
    if value is None or value == "auto":
        return bool(getattr(tok, "chat_template", None))
    return bool(value)


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
        path, dtype=_dtype(dtype or typed(ModelConf, model_cfg).dtype), use_safetensors=True, **kwargs
    )
    model.eval()
    return model

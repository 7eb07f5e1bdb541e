"""Architecture configs from a model preset, without weights and without the network.

A preset's ``arch`` block holds the real config values (``model_type`` plus the fields of the
transformers config class), so planning and tiny twins work offline.
"""

from __future__ import annotations

from typing import Any, Mapping

from omegaconf import DictConfig, OmegaConf


def arch_dict(model_cfg: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    """Return the preset's ``arch`` block as a plain dict (``model_type`` included)."""
    arch = model_cfg["arch"]
    if isinstance(arch, DictConfig):
        arch = OmegaConf.to_container(arch, resolve=True)
    arch = dict(arch)
    if "model_type" not in arch:
        raise ValueError(f"model preset {model_cfg.get('name')!r}: arch.model_type is missing")
    return arch


def build_config(model_cfg: DictConfig | Mapping[str, Any], **overrides: Any):
    """Instantiate the transformers config class named by ``arch.model_type`` with the preset's values."""
    from transformers import AutoConfig

    arch = arch_dict(model_cfg)
    model_type = arch.pop("model_type")
    arch.update(overrides)
    return AutoConfig.for_model(model_type, **arch)


def arch_config(model_cfg: DictConfig | Mapping[str, Any]):
    """The transformers config of a preset: its ``arch`` block, or (``model=hf``, no arch block) the
    checkpoint's own config.json, read without loading weights."""
    if model_cfg["arch"]:
        return build_config(model_cfg)
    from transformers import AutoConfig

    from xlt.errors import ConfigError
    from xlt.models.checkpoint import checkpoint_config

    config = checkpoint_config(model_cfg)
    if config is None:
        raise ConfigError(f"model {model_cfg.get('name')!r}: no arch block and the checkpoint's config.json "
                          "cannot be read here; set model.local_path=DIR or download the hub snapshot")
    config = dict(config)
    return AutoConfig.for_model(config.pop("model_type"), **config)

"""A condition: one cell of a sweep (model × source language × regime × seed × settings).

Its id is a deterministic function of everything that changes results — never of the clock, the
launcher, the logger or paths — so a requeued or re-run job finds its own directory again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

from xlt.errors import ConfigError

def identity_payload(cfg: DictConfig) -> dict[str, Any]:
    """The resolved sub-config that determines a condition's results: the keys the schema classes as
    results (plus training keys when the regime trains, generation keys when it generates), with the
    weights' source replaced by the fingerprint of what was loaded (``xlt.config.identity``)."""
    from xlt.config.identity import identity_of

    for key in ("task", "model", "regime", "data"):
        if key not in cfg:
            raise ConfigError(f"config has no {key!r} node; is this the xlt root config?")
    payload = identity_of(cfg)
    payload["model"]["checkpoint"] = checkpoint_fingerprint(cfg.model)
    return payload


def checkpoint_fingerprint(model_cfg: DictConfig) -> str:
    """The identity of the weights a preset loads (cached; no weights are read in full)."""
    from xlt.models.checkpoint import resolve_checkpoint

    return resolve_checkpoint(model_cfg).fingerprint


def condition_id(cfg: DictConfig) -> str:
    """Readable, deterministic id: ``<model>-<lang>-<regime>-s<seed>-<hash8>`` for trained regimes,
    ``<model>-<regime>-<hash8>`` for regimes without training (shared by every source and seed); a task
    other than Belebele and a cross-task training source are named after the model."""
    payload = identity_payload(cfg)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:8]
    task = "" if cfg.task.name == "belebele" else f"{cfg.task.name}-"
    if payload.get("train_task"):
        task += f"from_{payload['train_task']['name']}-"
    if "seed" not in payload:
        return f"{cfg.model.name}-{task}{cfg.regime.name}-{digest}"
    return f"{cfg.model.name}-{task}{cfg.lang.name}-{cfg.regime.name}-s{cfg.seed}-{digest}"


def _resolver_condition_id(*, _root_: DictConfig) -> str:
    return condition_id(_root_)


def model_name_from(hub_id: str | None, local_path: str | None) -> str:
    """A readable model name for ``model=hf``: ``hf-<last part of the hub id or folder name>``."""
    import re

    where = local_path or hub_id
    if not where:
        return "hf"
    slug = re.sub(r"[^A-Za-z0-9._]+", "_", Path(str(where).rstrip("/")).name).strip("_")
    return f"hf-{slug[:48]}" if slug else "hf"


def register_resolvers() -> None:
    """Register ``${xlt_condition_id:}`` (hydra.run.dir / hydra.sweep.subdir),
    ``${xlt_model_name:hub_id,local_path}`` (the name of ``model=hf``) and
    ``${xlt_if_cpu_bf16:fast,otherwise}`` (CPU presets' dtype / precision: :mod:`xlt.config.hardware`)."""
    import xlt.config.schema  # noqa: F401  registers the typed schema conf/config.yaml extends

    if not OmegaConf.has_resolver("xlt_condition_id"):
        OmegaConf.register_new_resolver("xlt_condition_id", _resolver_condition_id)
    if not OmegaConf.has_resolver("xlt_model_name"):
        OmegaConf.register_new_resolver("xlt_model_name", model_name_from)
    if not OmegaConf.has_resolver("xlt_if_cpu_bf16"):
        from xlt.config.hardware import if_cpu_bf16

        OmegaConf.register_new_resolver("xlt_if_cpu_bf16", if_cpu_bf16)


@dataclass(frozen=True)
class Condition:
    """A validated condition: what to train on, what to score, and its id."""

    id: str
    model: str
    source: str
    source_variants: tuple[str, ...]
    regime: str
    trains: bool
    cot: bool
    format_only: bool
    targets: tuple[str, ...]
    seed: int
    task: str = "belebele"
    train_task: str = "belebele"   # the task training items come from (the evaluated one unless set)

    @classmethod
    def from_cfg(cls, cfg: DictConfig) -> "Condition":
        """Validate a composed config and build its condition (cheap: no model, no data)."""
        from xlt.languages import resolve_source, resolve_targets

        validate(cfg)
        return cls(
            id=condition_id(cfg),
            model=str(cfg.model.name),
            source=str(cfg.lang.name),
            source_variants=tuple(resolve_source(cfg.lang)),
            regime=str(cfg.regime.name),
            trains=bool(cfg.regime.train),
            cot=bool(cfg.regime.cot),
            format_only=bool(cfg.regime.format_only),
            targets=tuple(resolve_targets(cfg.targets)),
            seed=int(cfg.seed),
            task=str(cfg.task.name),
            train_task=str((cfg.train_task or cfg.task).name),
        )

    def tags(self) -> dict[str, str | int | None]:
        """Identity fields for logs, W&B and the store (source/seed are None when they cannot matter)."""
        return {"task": self.task, "model": self.model, "source": self.source if self.trains else None,
                "regime": self.regime, "seed": self.seed if self.trains else None,
                "train_task": self.train_task if self.trains else None}


from xlt.config.compose import CONF_DIR  # noqa: E402 - one definition for every CLI


def strategy_preset(cfg: DictConfig) -> DictConfig:
    """The strategy config to use: ``strategy=preset`` means the one the model preset names."""
    if cfg.strategy.name != "preset":
        return cfg.strategy
    name = cfg.model.strategy
    path = CONF_DIR / "strategy" / f"{name}.yaml"
    if not name or name == "preset" or not path.exists():
        valid = sorted(p.stem for p in path.parent.glob("*.yaml") if p.stem != "preset")
        raise ConfigError(f"strategy=preset: model {cfg.model.name!r} names strategy {name!r}; "
                          f"valid: {', '.join(valid)}")
    from xlt.config.compose import compose

    return compose([f"strategy={name}"]).strategy  # through Hydra: the same schema checks as any group


def apply_strategy_preset(cfg: DictConfig) -> None:
    """Replace ``strategy=preset`` by the model's own strategy config, in place."""
    resolved = strategy_preset(cfg)
    if resolved is not cfg.strategy:
        with open_dict(cfg):
            cfg.strategy = resolved


def validate(cfg: DictConfig) -> None:
    """Check what the schema cannot (language codes, ranges, cross-field rules); raise ConfigError naming it."""
    from xlt.languages import resolve_source, resolve_targets

    resolve_source(cfg.lang)
    targets = resolve_targets(cfg.targets)
    if not targets:
        raise ConfigError("targets is empty; choose a panel (e.g. targets=paper) or codes (targets=[heb_Hebr])")
    from xlt.config.identity import check_declared
    from xlt.config.schema import check_values
    from xlt.data.prompts import get_format
    from xlt.data.tasks import tasks_of

    check_declared(cfg)  # a `+key=value` Hydra let through would stay out of the id
    check_values(cfg)  # ranges and choices; Hydra checked keys, types and enums while composing
    data = cfg.data
    task, _ = tasks_of(cfg)
    get_format(data.prompt, task.n_labels)
    if data.source == "local" and not data.dir:
        raise ConfigError("data.source=local needs data.dir=<folder of <code>.jsonl files>")
    if data.split == "kfold" and not (0 <= int(data.fold) < int(data.n_folds)):
        raise ConfigError(f"data.fold must be in [0, {data.n_folds}), got {data.fold}")
    if cfg.model.trust_remote_code and not cfg.model.trust_remote_code_reason:
        raise ConfigError(
            f"model {cfg.model.name!r} sets trust_remote_code=true without trust_remote_code_reason; "
            "remote code stays off unless a preset says why"
        )
    if not cfg.model.tiny and not any(cfg.model[k] for k in ("hub_id", "local_path", "gguf")):
        raise ConfigError(f"model {cfg.model.name!r} names no weights; set model.hub_id=ORG/NAME "
                          "or model.local_path=DIR (config.json + *.safetensors)")
    strategy_preset(cfg)

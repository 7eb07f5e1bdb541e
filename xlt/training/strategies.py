"""Build the Lightning strategy named by the `strategy` config group."""

from __future__ import annotations

from omegaconf import DictConfig


def build_strategy(strategy_cfg: DictConfig):
    """``auto`` for a single process; DeepSpeed/DDP presets are built from their config."""
    name = strategy_cfg.name
    if name == "auto":
        return "auto"
    if name == "ddp":
        from lightning.pytorch.strategies import DDPStrategy

        return DDPStrategy(process_group_backend=strategy_cfg.get("backend"))
    from xlt.errors import ConfigError

    raise ConfigError(f"strategy {name!r} is not supported yet; valid: auto, ddp")

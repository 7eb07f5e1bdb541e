"""What fine-tuning reads of a composed config, built once as typed objects (never the whole ``cfg``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from omegaconf import OmegaConf

from xlt.config.schema import ModelConf, RegimeConf, StrategyConf, TrainerConf, typed


@dataclass(frozen=True)
class TrainSettings:
    """The model, regime, Lightning trainer and strategy settings of one condition, and its seed."""

    model: Any              # ModelConf-typed config node (loaders take config nodes)
    regime: RegimeConf
    trainer: TrainerConf
    strategy: StrategyConf
    seed: int

    @classmethod
    def from_cfg(cls, cfg: Any) -> "TrainSettings":
        """Build from a composed root config (after ``strategy=preset`` was resolved)."""
        return cls(model=typed(ModelConf, cfg.model), regime=_obj(RegimeConf, cfg.regime),
                   trainer=_obj(TrainerConf, cfg.trainer), strategy=_obj(StrategyConf, cfg.strategy),
                   seed=int(cfg.seed))

    def with_regime(self, **changes: Any) -> "TrainSettings":
        """A copy whose regime has ``changes`` (the memory plan's micro-batch, accumulation, checkpointing)."""
        return dataclasses.replace(self, regime=dataclasses.replace(self.regime, **changes))

    def trainer_kwargs(self) -> dict[str, Any]:
        """The ``trainer`` group as keyword arguments of ``lightning.Trainer``."""
        return dataclasses.asdict(self.trainer)


def _obj(schema: type, node: Any) -> Any:
    return OmegaConf.to_object(typed(schema, node))

"""Build the Lightning strategy named by the ``strategy`` config group (auto, ddp, DeepSpeed ZeRO-2/3).

On a GPU the stock Lightning strategies are used. On CPU, DeepSpeed runs through a small subclass
(``CPUDeepSpeedStrategy``) over gloo, so the ZeRO-2/3 code path (partitioning, gathering, sharded
checkpoints) is exercised by tests on machines without accelerators.
"""

from __future__ import annotations

from typing import Any

import torch

from xlt.config.schema import StrategyConf
from xlt.errors import ConfigError

STRATEGIES = ("auto", "ddp", "deepspeed")


def zero_stage(strategy_cfg: StrategyConf) -> int:
    """ZeRO stage of a strategy preset (0 for anything that is not DeepSpeed)."""
    return strategy_cfg.stage if strategy_cfg.name == "deepspeed" else 0




def deepspeed_config(strategy_cfg: StrategyConf, batch_size: int = 1,
                     precision: str = "32-true") -> dict[str, Any]:
    """The DeepSpeed config dict of a preset.

    Gradient accumulation and clipping are filled in by Lightning from the Trainer; precision is
    set here too so that the same dict can be handed to ``HfDeepSpeedConfig`` before loading.
    """
    stage = zero_stage(strategy_cfg)
    zero: dict[str, Any] = {
        "stage": stage,
        "overlap_comm": strategy_cfg.overlap_comm,
        "contiguous_gradients": True,
        "reduce_bucket_size": strategy_cfg.bucket_size,
        "allgather_bucket_size": strategy_cfg.bucket_size,
    }
    if stage == 3:
        zero.update({
            "stage3_prefetch_bucket_size": strategy_cfg.bucket_size,
            "stage3_param_persistence_threshold": strategy_cfg.param_persistence_threshold,
            # Never gather the full 16-bit model at save time: only the LoRA adapter is saved.
            "stage3_gather_16bit_weights_on_model_save": False,
        })
    if strategy_cfg.offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": strategy_cfg.pin_memory}
    if strategy_cfg.offload_params:
        if stage != 3:
            raise ConfigError("strategy.offload_params needs ZeRO stage 3")
        zero["offload_param"] = {"device": "cpu", "pin_memory": strategy_cfg.pin_memory}
    cfg: dict[str, Any] = {
        "zero_optimization": zero,
        "train_micro_batch_size_per_gpu": int(batch_size),
        # A torch optimizer with offload is allowed (tests); real offload runs pick DeepSpeedCPUAdam.
        "zero_allow_untested_optimizer": True,
        "zero_force_ds_cpu_optimizer": False,
        "steps_per_print": 10**9,
        "wall_clock_breakdown": False,
    }
    if precision.startswith("bf16"):
        cfg["bf16"] = {"enabled": True}
    elif precision.startswith("16"):
        cfg["fp16"] = {"enabled": True}
    return cfg


def _cpu_deepspeed_class():
    """Defined lazily: importing Lightning's DeepSpeed strategy costs seconds."""
    from lightning.pytorch.strategies import DeepSpeedStrategy

    class CPUDeepSpeedStrategy(DeepSpeedStrategy):
        """DeepSpeed on the CPU accelerator with gloo (stock Lightning refuses non-CUDA accelerators)."""

        def setup_environment(self) -> None:
            # Skip DeepSpeedStrategy's CUDA check; keep the generic device setup + process group.
            assert self.accelerator is not None
            self.accelerator.setup_device(self.root_device)
            self.setup_distributed()

        @property
        def root_device(self) -> torch.device:
            return torch.device("cpu", self.local_rank)

        def setup_distributed(self) -> None:
            import deepspeed

            from lightning.fabric.utilities.seed import reset_seed

            reset_seed()
            self.set_world_ranks()
            self._set_node_environment_variables()
            self._process_group_backend = self._process_group_backend or "gloo"
            assert self.cluster_environment is not None
            deepspeed.init_distributed(self._process_group_backend, distributed_port=self.cluster_environment.main_port,
                                       timeout=self._timeout)

    return CPUDeepSpeedStrategy


def build_strategy(strategy_cfg: StrategyConf, accelerator: str = "cpu", batch_size: int = 1,
                   precision: str = "32-true"):
    """A Lightning strategy (or the string ``"auto"``) for a ``strategy`` preset and accelerator."""
    name = strategy_cfg.name
    if name not in STRATEGIES:
        raise ConfigError(f"strategy {name!r} is not supported; valid: {', '.join(STRATEGIES)}")
    if name == "auto":
        return "auto"
    backend = strategy_cfg.backend or ("gloo" if accelerator == "cpu" else None)
    if name == "ddp":
        from lightning.pytorch.strategies import DDPStrategy

        # LoRA leaves most modules without trainable parameters in some steps (MoE experts).
        return DDPStrategy(process_group_backend=backend,
                           find_unused_parameters=strategy_cfg.find_unused_parameters)
    config = deepspeed_config(strategy_cfg, batch_size, precision)
    kwargs: dict[str, Any] = {
        "config": config,
        "process_group_backend": backend,
        # Checkpoints hold the LoRA weights and their optimizer state, not the frozen base.
        "exclude_frozen_parameters": strategy_cfg.exclude_frozen_parameters,
    }
    if accelerator == "cpu":
        return _cpu_deepspeed_class()(**kwargs)
    from lightning.pytorch.strategies import DeepSpeedStrategy

    return DeepSpeedStrategy(**kwargs)


"""Entry point: ``python -m xlt.train [-m] model=... lang=... regime=... seed=...``.

Hydra composes the config; the xlt sweeper (hydra/sweeper=xlt) validates every condition of a
multirun before launching, skips finished ones and lists failures; this function runs one.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from xlt.conditions import register_resolvers

log = logging.getLogger(__name__)
register_resolvers()  # ${xlt_condition_id:} in hydra.run.dir / hydra.sweep.subdir
# Absolute, so the entry point works however it is invoked (python -m, an import, a SLURM job).
from xlt.config.compose import CONF_DIR  # noqa: E402


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    """Run one condition in Hydra's output dir for it; returns mean target accuracy."""
    from hydra.core.hydra_config import HydraConfig

    from xlt.pipeline import run_condition

    from hydra.types import RunMode

    from xlt.errors import ConfigError

    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    try:
        metrics = run_condition(cfg, run_dir, dict(hc.runtime.choices))
    except ConfigError as err:
        if hc.mode == RunMode.MULTIRUN:  # the sweeper records it and lists it with the other failures
            raise
        print(f"error: {err}", file=sys.stderr)  # one line, not a traceback: bad input, nothing ran
        sys.exit(2)
    accs = list(metrics.get("accuracy", {}).values())
    if accs:
        log.info("%s: mean accuracy %.3f over %d targets", run_dir.name, sum(accs) / len(accs), len(accs))
        return sum(accs) / len(accs)
    return None


if __name__ == "__main__":
    from xlt.overrides import main_guard

    main_guard(Path(CONF_DIR))
    main()

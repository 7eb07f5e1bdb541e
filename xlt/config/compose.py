"""The one compose entry: every CLI and test composes the project's config through :func:`compose`.

``python -m xlt.train`` composes through ``@hydra.main`` over :data:`CONF_DIR`; everything else that
needs a config outside a running app (``xlt.plan``, ``xlt.power``, ``xlt.training.check``, model
presets, tests) calls :func:`compose`, so all of them see the same root config, the same search path
and xlt's resolvers. Extra groups a tool needs (the planner's ``plan`` knobs) are registered in
Hydra's ConfigStore and added with ``+group=option``, never by building a second config root.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from omegaconf import DictConfig

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"  # absolute: works from any cwd, a SLURM job, an import
CONFIG_NAME = "config"
VERSION_BASE = "1.3"


def compose(overrides: Sequence[str] = (), *, return_hydra_config: bool = False,
            config_dir: Path | str = CONF_DIR, config_name: str = CONFIG_NAME) -> DictConfig:
    """The root config with ``overrides`` applied, as ``python -m xlt.train overrides...`` would see it.

    ``overrides`` are Hydra command-line overrides (``model=qwen3_4b``, ``regime.lr=1e-3``,
    ``+plan=defaults``; a later override of the same key wins). ``return_hydra_config`` keeps the
    ``hydra`` node (run/sweep dirs, choices). ``config_dir`` is for tests that compose a copy of some
    groups. Safe to call anywhere, also inside a running Hydra app: Hydra's global state is saved
    before and restored after, and xlt's resolvers (``${xlt_condition_id:}``) are registered first.
    Raises Hydra's / OmegaConf's exceptions for a bad override.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.initialize import get_gh_backup, restore_gh_from_backup

    from xlt.conditions import register_resolvers

    register_resolvers()
    backup = get_gh_backup()  # a running app's GlobalHydra, put back below
    GlobalHydra.instance().clear()  # initialize_config_dir refuses an initialised GlobalHydra
    try:
        with initialize_config_dir(config_dir=str(Path(config_dir).resolve()), version_base=VERSION_BASE):
            return hydra_compose(config_name, overrides=list(overrides), return_hydra_config=return_hydra_config)
    finally:
        restore_gh_from_backup(backup)


def sweep_combinations(overrides: Sequence[str]) -> list[list[str]]:
    """Every job of a ``-m`` sweep: ``["model=a,b", "seed=0"]`` -> ``[["model=a", "seed=0"], ["model=b",
    "seed=0"]]``, expanded by Hydra's own override parser and basic sweeper (same order as a multirun)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    (batch,) = BasicSweeper.split_arguments(parsed, max_batch_size=None)  # one batch when unbatched
    return batch

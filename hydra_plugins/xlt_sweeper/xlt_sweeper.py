"""The xlt sweeper: Hydra's basic sweeper plus what a study needs.

Before anything runs it composes and validates every condition (one bad value submits nothing),
writes the sweep snapshot and skips finished conditions; while running it shows a progress bar
over conditions and keeps going when one fails; at the end it lists the failures and exits
non-zero. Hydra plugins must live under ``hydra_plugins``; the logic lives in ``xlt.sweep``. (No
``from __future__ import annotations`` here: Hydra loads plugin modules outside sys.modules and
dataclasses then cannot resolve string annotations.)
"""


import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from hydra._internal.core_plugins.basic_launcher import BasicLauncher
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobStatus
from omegaconf import OmegaConf

log = logging.getLogger(__name__)


@dataclass
class XltSweeperConf:
    _target_: str = "hydra_plugins.xlt_sweeper.xlt_sweeper.XltSweeper"
    max_batch_size: Optional[int] = None   # None: one batch (a SLURM array); local runs go one by one
    params: Optional[Dict[str, str]] = None


ConfigStore.instance().store(group="hydra/sweeper", name="xlt", node=XltSweeperConf, provider="xlt")


class XltSweeper(BasicSweeper):
    """Validate all, snapshot, skip finished, isolate failures."""

    def sweep(self, arguments: List[str]) -> Any:
        from tqdm.auto import tqdm

        from xlt.sweep.plan import SweepFailed, dedupe, job_summary, plan_jobs
        from xlt.sweep.snapshot import write_snapshot

        params_conf = self._parse_config() + list(arguments)
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        batches = self.split_arguments(parser.parse_overrides(params_conf), None)
        jobs = [job for batch in batches for job in batch]
        planned, collapsed = dedupe(plan_jobs(self.hydra_context.config_loader, self.config, jobs))
        if collapsed:
            log.info("%d jobs collapsed into conditions they duplicate (regimes without training do not "
                     "depend on the source language or seed)", collapsed)

        force = bool(self.config.get("force", False))
        if self.config.get("dry_run", False):
            for job in planned:
                state = "done" if job.done and not force else "todo"
                print(f"{state}\t{job.condition_id}\t{' '.join(job.overrides)}")
            print(f"dry run: {len(planned)} conditions ({collapsed} duplicate jobs collapsed); nothing launched")
            return []
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        todo = [j for j in planned if force or not j.done]
        skipped = [j.condition_id for j in planned if j not in todo]
        write_snapshot(sweep_dir, [job_summary(j) for j in planned], skipped)
        log.info("sweep %s: %d conditions, %d already finished, %d to run",
                 sweep_dir, len(planned), len(skipped), len(todo))

        # Local runs go one at a time (progress bar per condition); cluster launchers get one batch.
        size = 1 if isinstance(self.launcher, BasicLauncher) else (self.max_batch_size or len(todo) or 1)
        failures: list[str] = []
        returns = []
        with tqdm(total=len(planned), initial=len(skipped), desc="sweep", unit="cond") as bar:
            for start in range(0, len(todo), size):
                chunk = todo[start:start + size]
                try:
                    results = self.launcher.launch([j.overrides for j in chunk], initial_job_idx=chunk[0].index)
                except Exception as err:  # noqa: BLE001 - e.g. a cancelled SLURM job: report, keep the rest
                    failures += [f"{j.condition_id}: {type(err).__name__}: {err}" for j in chunk]
                    bar.update(len(chunk))
                    continue
                for job, ret in zip(chunk, results):
                    if ret.status == JobStatus.FAILED:
                        err = ret._return_value
                        failures.append(f"{job.condition_id}: {type(err).__name__}: {err}")
                returns.append(results)
                bar.update(len(chunk))
        if failures:
            raise SweepFailed(f"{len(failures)} of {len(planned)} conditions failed (the others finished; "
                              f"re-run the same command to retry only what is missing):\n  " + "\n  ".join(failures))
        return returns

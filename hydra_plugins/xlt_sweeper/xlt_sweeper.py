"""The xlt sweeper: Hydra's basic sweeper plus what a study needs.

Before anything runs it composes and validates every condition (one bad value submits nothing),
writes the sweep snapshot and skips finished conditions; while running it shows a progress bar
over conditions and keeps going when one fails; at the end it lists the failures and exits
non-zero. Whatever a launcher returns or raises, a condition counts as finished iff its DONE marker
exists; SLURM jobs are all waited on (queue polled every ``poll_s``) and each gets the resources of
its own model preset (``xlt.sweep.launch``). Hydra plugins must live under ``hydra_plugins``; the
logic lives in ``xlt.sweep``. (No
``from __future__ import annotations`` here: Hydra loads plugin modules outside sys.modules and
dataclasses then cannot resolve string annotations.)
"""


import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from hydra._internal.core_plugins.basic_launcher import BasicLauncher
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

log = logging.getLogger(__name__)


@dataclass
class XltSweeperConf:
    _target_: str = "hydra_plugins.xlt_sweeper.xlt_sweeper.XltSweeper"
    max_batch_size: Optional[int] = None   # None: one batch (a SLURM array); local runs go one by one
    # Seconds between queue polls (sacct) while SLURM jobs run: bounds how long a cancelled job goes unseen.
    poll_s: float = 30.0
    # Add the zero-shot baseline of every trained condition (the report pairs gains against it).
    add_baselines: bool = True
    params: Optional[Dict[str, str]] = None


ConfigStore.instance().store(group="hydra/sweeper", name="xlt", node=XltSweeperConf, provider="xlt")


class XltSweeper(BasicSweeper):
    """Validate all, snapshot, skip finished, isolate failures."""

    def __init__(self, max_batch_size: Optional[int] = None, poll_s: float = 30.0, add_baselines: bool = True,
                 params: Optional[Dict[str, str]] = None) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.poll_s = float(poll_s)
        self.add_baselines = bool(add_baselines)

    def sweep(self, arguments: List[str]) -> Any:
        from tqdm.auto import tqdm

        from xlt.sweep.code_version import check_planned
        from xlt.sweep.launch import run_batch
        from xlt.sweep.snapshot import write_snapshot
        from xlt.sweep.validate import SweepFailed, baseline_overrides, dedupe, job_summary, validate_jobs

        params_conf = self._parse_config() + list(arguments)
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        batches = self.split_arguments(parser.parse_overrides(params_conf), None)
        jobs = [job for batch in batches for job in batch]
        loader = self.hydra_context.config_loader
        planned = validate_jobs(loader, self.config, jobs)
        if self.add_baselines:  # baselines first: every later gain has its reference early
            extra = validate_jobs(loader, self.config, baseline_overrides(planned), first_index=len(jobs))
            planned = extra + planned
        planned, collapsed = dedupe(planned)
        if collapsed:
            log.info("%d jobs collapsed into conditions they duplicate (regimes without training do not "
                     "depend on the source language or seed)", collapsed)

        force = bool(self.config.get("force", False))
        # Finished conditions are skipped into this sweep's results: they must come from this code (force redoes them).
        code = check_planned([] if force else planned, bool(self.config.get("allow_code_change", False)))
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
        write_snapshot(sweep_dir, [job_summary(j) for j in planned], skipped, code)
        log.info("sweep %s: %d conditions, %d already finished, %d to run",
                 sweep_dir, len(planned), len(skipped), len(todo))

        # Local runs go one at a time (progress bar per condition); cluster launchers get one batch.
        size = 1 if isinstance(self.launcher, BasicLauncher) else (self.max_batch_size or len(todo) or 1)
        failures: list[str] = []
        since = time.time() if force else None  # force: a DONE from before this sweep is not a result of it
        with tqdm(total=len(planned), initial=len(skipped), desc="sweep", unit="cond") as bar:
            for start in range(0, len(todo), size):
                outcomes = run_batch(self.launcher, todo[start:start + size], poll_s=self.poll_s,
                                     since=since, on_finished=bar.update)
                failures += [f"{o.job.condition_id} ({' '.join(o.job.overrides)}): {o.error}"
                             for o in outcomes if not o.ok]
        if failures:
            raise SweepFailed(f"{len(failures)} of {len(planned)} conditions failed (the others finished; "
                              f"re-run the same command to retry only what is missing):\n  " + "\n  ".join(failures))
        log.info("sweep %s: all %d conditions finished", sweep_dir, len(planned))
        return []

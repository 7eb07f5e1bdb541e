"""Run one batch of planned jobs through the sweep's launcher and say which conditions are missing.

The results store is the source of truth: whatever the launcher returns or raises, a condition counts as
finished iff its ``DONE`` marker exists afterwards, and only the truly missing ones are reported.

Submitit launchers (``hydra/launcher=slurm``) are driven here rather than through their own ``launch``:
hydra-submitit-launcher 1.2 waits on the jobs in order and raises at the first one that did not complete
(e.g. ``scancel``), abandoning the others while they still run. Here every job is waited on, each
outcome is collected, and the queue is polled at a bounded interval, so a cancelled job ends the sweep
with its condition named instead of hanging or hiding its neighbours.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from hydra.core.utils import JobReturn, JobStatus

from xlt.results.store import DONE
from xlt.sweep import inflight
from xlt.sweep.validate import PlannedJob, launcher_params

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What became of one job: ``error`` is None when the condition finished (DONE on disk)."""

    job: PlannedJob
    error: str | None = None
    slurm_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _first_line(err: BaseException | str) -> str:
    text = err if isinstance(err, str) else f"{type(err).__name__}: {err}"
    lines = [ln for ln in str(text).splitlines() if ln.strip()]
    return lines[0] if lines else str(text)


def _done_since(job: PlannedJob, since: float | None) -> bool:
    try:
        mtime = (job.run_dir / DONE).stat().st_mtime
    except FileNotFoundError:
        return False
    return since is None or mtime >= since


def _settle(outcomes: list[Outcome], since: float | None) -> list[Outcome]:
    """Make DONE the judge: a job whose launcher call failed but whose result is complete is finished
    (e.g. killed after its DONE was written); a job that "succeeded" without DONE is missing. With
    ``since`` (force=true) only a DONE written after that time counts: an old one is what is being redone."""
    for out in outcomes:
        done = _done_since(out.job, since)
        if done and out.error is not None:
            log.warning("condition %s: launcher reported %r but its result is complete (DONE); counted as finished",
                        out.job.condition_id, out.error)
            out.error = None
        elif not done and out.error is None:
            out.error = "ended without writing its result (no DONE marker)"
    return outcomes


def run_batch(launcher: Any, chunk: Sequence[PlannedJob], *, poll_s: float = 30.0, since: float | None = None,
              on_finished: Callable[[int], None] = lambda n: None) -> list[Outcome]:
    """Launch ``chunk`` and wait for all of it; one Outcome per job, in order."""
    from hydra_plugins.hydra_submitit_launcher.submitit_launcher import BaseSubmititLauncher

    if isinstance(launcher, BaseSubmititLauncher):
        return _settle(_submitit_batch(launcher, chunk, poll_s, on_finished), since)
    try:
        returns = launcher.launch([j.overrides for j in chunk], initial_job_idx=chunk[0].index)
        outcomes = [Outcome(job, _job_return_error(ret)) for job, ret in zip(chunk, returns)]
    except Exception as err:  # noqa: BLE001 - a launcher-wide failure: DONE markers say what survived
        outcomes = [Outcome(job, f"launcher failed: {_first_line(err)}") for job in chunk]
    on_finished(len(chunk))
    return _settle(outcomes, since)


def _job_return_error(ret: JobReturn) -> str | None:
    if ret.status == JobStatus.FAILED:
        return _first_line(ret._return_value)  # the task's exception (``return_value`` would re-raise it)
    return None


def launcher_groups(chunk: Sequence[PlannedJob]) -> list[tuple[dict[str, Any], list[int]]]:
    """Jobs that ask for identical launcher settings, grouped (one SLURM array each), in first-seen order."""
    groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for i, job in enumerate(chunk):
        params = launcher_params(job)
        groups.setdefault(json.dumps(params, sort_keys=True, default=str), (params, []))[1].append(i)
    return list(groups.values())


def _executor(kind: str, params: dict[str, Any]):
    """A submitit executor built from launcher settings exactly as hydra-submitit-launcher 1.2 does."""
    import submitit
    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
    from omegaconf import OmegaConf

    init_keys = {"max_num_timeout"}
    executor = submitit.AutoExecutor(cluster=kind, folder=params["submitit_folder"],
                                     **{f"{kind}_{k}": v for k, v in params.items() if k in init_keys})
    base = set(OmegaConf.structured(BaseQueueConf).keys())
    executor.update_parameters(**{k if k in base else f"{kind}_{k}": v for k, v in params.items()
                                  if k not in init_keys | {"submitit_folder"}})
    return executor


def _submitit_batch(launcher: Any, chunk: Sequence[PlannedJob], poll_s: float,
                    on_finished: Callable[[int], None]) -> list[Outcome]:
    from hydra.core.singleton import Singleton
    from hydra.core.utils import filter_overrides

    sweep_dir = Path(str(launcher.config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)
    jobs: list[Any] = [None] * len(chunk)
    outcomes: dict[int, Outcome] = {}
    adopted = _adopt(launcher, chunk, jobs, sweep_dir)
    log.info("submitit '%s': submitting %d conditions (sweep dir %s)", launcher._EXECUTOR,
             len(chunk) - len(adopted), sweep_dir)
    fresh = [i for i in range(len(chunk)) if i not in adopted]
    for params, positions in launcher_groups([chunk[i] for i in fresh]):
        members = [fresh[k] for k in positions]
        args = []
        for i in members:
            job = chunk[i]
            log.info("\t#%d %s: %s", job.index, job.condition_id, " ".join(filter_overrides(job.overrides)))
            # What hydra-submitit-launcher passes; the launcher object itself is the pickled callable.
            args.append((list(job.overrides), "hydra.sweep.dir", job.index, f"job_id_for_{job.index}",
                         Singleton.get_state()))
        try:
            submitted = _executor(launcher._EXECUTOR, params).map_array(launcher, *zip(*args))
        except Exception as err:  # noqa: BLE001 - sbatch refused this group (partition, account, limits)
            for i in members:
                outcomes[i] = Outcome(chunk[i], f"submission failed: {_first_line(err)}")
            on_finished(len(members))
            continue
        for i, sj in zip(members, submitted):
            jobs[i] = sj
        inflight.record(sweep_dir, [(chunk[i].condition_id, sj.job_id) for i, sj in zip(members, submitted)])
        log.info("submitted %s: %s", ", ".join(sj.job_id for sj in submitted),
                 ", ".join(chunk[i].condition_id for i in members))

    last_poll = time.monotonic()
    while len(outcomes) < len(jobs):
        # submitit backs its own sacct polling off to 10 minutes; ask the queue at least every poll_s.
        if time.monotonic() - last_poll >= poll_s:
            watcher = next((getattr(sj, "watcher", None) for sj in jobs if sj is not None), None)
            if watcher is not None:
                watcher.update()
            last_poll = time.monotonic()
        for i, sj in enumerate(jobs):
            if i not in outcomes and _finished(sj):
                outcomes[i] = _collect(chunk[i], sj)
                on_finished(1)
        if len(outcomes) < len(jobs):
            time.sleep(1.0)
    return [outcomes[i] for i in range(len(jobs))]


# SLURM states of a job that still holds or awaits resources. submitit 1.5 calls a job "done" in any state
# outside a shorter list, so a suspended job (PreemptMode=SUSPEND, `scontrol suspend`) looked finished.
ACTIVE_STATES = frozenset({"PENDING", "RUNNING", "REQUEUED", "COMPLETING", "CONFIGURING", "SUSPENDED", "RESIZING",
                           "REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD",
                           "PREEMPTED", "READY", "UNKNOWN"})


def _finished(sj: Any) -> bool:
    """Whether a submitit job has ended: its result is there, or SLURM's last known state is not active."""
    if not sj.done():
        return False
    watcher = getattr(sj, "watcher", None)
    if watcher is None or Path(sj.paths.result_pickle).exists():
        return True
    state = (watcher.get_state(sj.job_id, mode="cache").split() or ["UNKNOWN"])[0].upper()
    if state in ACTIVE_STATES:
        # submitit stops polling jobs it thinks are done; keep this one polled (private set, submitit 1.5)
        getattr(watcher, "_finished", set()).discard(sj.job_id)
        return False
    return True


def _adopt(launcher: Any, chunk: Sequence[PlannedJob], jobs: list[Any], sweep_dir: Path) -> set[int]:
    """Fill ``jobs`` with the still-queued jobs an earlier run of this sweep submitted; their positions."""
    import submitit

    if launcher._EXECUTOR != "slurm":
        return set()
    earlier = inflight.read(sweep_dir)
    wanted = {i: earlier[job.condition_id] for i, job in enumerate(chunk) if job.condition_id in earlier}
    live = inflight.live_jobs(wanted.values())
    adopted = set()
    for i, job_id in wanted.items():
        if job_id in live:
            folder = str(launcher_params(chunk[i])["submitit_folder"])
            jobs[i] = submitit.SlurmJob(folder=folder, job_id=job_id)
            adopted.add(i)
            log.info("adopted %s (%s; queued by an earlier run of this sweep): %s", job_id, live[job_id],
                     chunk[i].condition_id)
    return adopted


def _collect(job: PlannedJob, sj: Any) -> Outcome:
    """The outcome of a finished submitit job: its JobReturn, or why it produced none."""
    from submitit.core.utils import FailedJobError, UncompletedJobError

    try:
        error = _job_return_error(sj.results()[0])
    except UncompletedJobError:
        # Cancelled, killed (out of memory/time without requeue), node failure: no result pickle.
        error = f"SLURM job {sj.job_id} ended {sj.state} without a result (log: {sj.paths.stderr})"
    except FailedJobError as err:
        error = f"SLURM job {sj.job_id} failed: {_first_line(err)} (log: {sj.paths.stderr})"
    return Outcome(job, error, slurm_id=sj.job_id)

"""Run one batch of planned jobs through the sweep's launcher and say which conditions are missing.

The results store is the source of truth: whatever the launcher returns or raises, a condition counts as
finished iff its ``DONE`` marker exists afterwards, and only the truly missing ones are reported.

With the xlt SLURM launcher (``hydra/launcher=slurm``, ``hydra_plugins.xlt_launcher``) every job is
waited on (hydra-submitit-launcher's own ``launch`` raises at the first job that did not complete, e.g.
``scancel``, abandoning the others while they run), each outcome is collected, and the queue is asked at
least every ``poll_s``, so a cancelled job ends the sweep with its condition named instead of hanging or
hiding its neighbours. Any other launcher goes through Hydra's ``launch``.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from hydra.core.utils import JobReturn, JobStatus, filter_overrides

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
    from hydra_plugins.xlt_launcher.xlt_launcher import XltSlurmLauncher

    if isinstance(launcher, XltSlurmLauncher):
        return _settle(_slurm_batch(launcher, chunk, poll_s, on_finished), since)
    try:
        returns = launcher.launch([j.overrides for j in chunk], initial_job_idx=chunk[0].index)
        outcomes = [Outcome(job, _job_return_error(ret)) for job, ret in zip(chunk, returns)]
    except Exception as err:  # noqa: BLE001 - a launcher-wide failure: DONE markers say what survived
        outcomes = [Outcome(job, f"launcher failed: {_first_line(err)}") for job in chunk]
    on_finished(len(chunk))
    return _settle(outcomes, since)


def _job_return_error(ret: JobReturn) -> str | None:
    if ret.status != JobStatus.FAILED:
        return None
    try:
        ret.return_value  # a failed job's return_value raises the task's exception
    except Exception as err:  # noqa: BLE001 - whatever the task raised is its error
        return _first_line(err)
    return "failed"


def launcher_groups(chunk: Sequence[PlannedJob]) -> list[tuple[dict[str, Any], list[int]]]:
    """Jobs that ask for identical launcher settings, grouped (one SLURM array each), in first-seen order."""
    groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for i, job in enumerate(chunk):
        params = launcher_params(job)
        groups.setdefault(json.dumps(params, sort_keys=True, default=str), (params, []))[1].append(i)
    return list(groups.values())


def _slurm_batch(launcher: Any, chunk: Sequence[PlannedJob], poll_s: float,
                 on_finished: Callable[[int], None]) -> list[Outcome]:
    sweep_dir = Path(str(launcher.config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)
    jobs: list[Any] = [None] * len(chunk)
    outcomes: dict[int, Outcome] = {}
    adopted = _adopt(chunk, jobs, sweep_dir)
    log.info("SLURM: submitting %d conditions (sweep dir %s)", len(chunk) - len(adopted), sweep_dir)
    fresh = [i for i in range(len(chunk)) if i not in adopted]
    for params, positions in launcher_groups([chunk[i] for i in fresh]):
        members = [fresh[k] for k in positions]
        for i in members:
            job = chunk[i]
            log.info("\t#%d %s: %s", job.index, job.condition_id, " ".join(filter_overrides(job.overrides)))
        try:
            submitted = launcher.submit(params, [(chunk[i].overrides, chunk[i].index, chunk[i].config)
                                                 for i in members])
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

    position = {id(sj): i for i, sj in enumerate(jobs) if sj is not None}
    for sj in ended([sj for sj in jobs if sj is not None], poll_s):
        i = position[id(sj)]
        outcomes[i] = _collect(chunk[i], sj)
        on_finished(1)
    return [outcomes[i] for i in range(len(jobs))]


# --- When a SLURM job has ended: the one place that knows submitit's SUSPENDED behaviour. ---------------
# submitit 1.5's Job.done() (InfoWatcher.is_done) counts every state outside READY, PENDING, RUNNING, UNKNOWN,
# REQUEUED, COMPLETING, PREEMPTED as finished, SUSPENDED included (PreemptMode=SUSPEND, `scontrol suspend`),
# and its watcher then stops asking about the job. So a job submitit calls done without a result on disk
# is asked about once more, through squeue (live): while the queue still holds it in an active state it
# has not ended. Written for these releases (major.minor); check_versions says when others are installed.
WRITTEN_FOR = {"submitit": "1.5", "hydra-submitit-launcher": "1.2"}
ACTIVE_STATES = frozenset({"PENDING", "RUNNING", "REQUEUED", "COMPLETING", "CONFIGURING", "SUSPENDED", "RESIZING",
                           "REQUEUE_HOLD", "REQUEUE_FED", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD",
                           "PREEMPTED", "READY", "UNKNOWN"})


@functools.cache
def check_versions() -> dict[str, str]:
    """Installed versions of the packages the rule (and XltSlurmLauncher) was written against; warns once
    when one is not the release it was written for: what their Job.done() counts as done must be checked."""
    installed = {name: metadata.version(name) for name in WRITTEN_FOR}
    for name, version in installed.items():
        if ".".join(version.split(".")[:2]) != WRITTEN_FOR[name]:
            log.warning("%s %s is installed; xlt's SLURM job-state rule (xlt.sweep.launch) was written for %s.x: "
                        "check which states its Job.done() calls finished (SUSPENDED was one)", name, version,
                        WRITTEN_FOR[name])
    return installed


def job_ended(sj: Any) -> bool:
    """Whether a submitit job has ended: its result is there, or submitit calls it done and the queue does
    not hold it in an active state (a suspended job has not ended)."""
    if not sj.done():
        return False
    if Path(sj.paths.result_pickle).exists():
        return True
    state = inflight.live_jobs([sj.job_id]).get(sj.job_id)
    return state is None or state.split()[0].upper() not in ACTIVE_STATES


def ended(jobs: Sequence[Any], poll_s: float) -> Iterator[Any]:
    """Yield each submitit job once it has ended (``job_ended``), at most ~``poll_s`` after SLURM knows."""
    from submitit.helpers import as_completed

    check_versions()
    waiting = list(jobs)
    while waiting:
        start, held = time.monotonic(), []
        try:
            for sj in as_completed(list(waiting), timeout=poll_s, poll_frequency=1.0):
                if job_ended(sj):
                    waiting.remove(sj)
                    yield sj
                else:
                    held.append(sj)
        except TimeoutError:
            pass
        if waiting:
            if held and time.monotonic() - start < poll_s:  # only held jobs left: as_completed did not wait
                time.sleep(poll_s - (time.monotonic() - start))
            # submitit backs its own sacct polling off to 10 minutes: ask for every registered job now.
            waiting[0].get_info(mode="force")


def _adopt(chunk: Sequence[PlannedJob], jobs: list[Any], sweep_dir: Path) -> set[int]:
    """Fill ``jobs`` with the still-queued jobs an earlier run of this sweep submitted; their positions."""
    import submitit

    earlier = inflight.read(sweep_dir)
    wanted = {i: earlier[job.condition_id] for i, job in enumerate(chunk) if job.condition_id in earlier}
    live = inflight.live_jobs(wanted.values())
    adopted = set()
    for i, job_id in wanted.items():
        if job_id in live and live[job_id].split()[0].upper() in ACTIVE_STATES:
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

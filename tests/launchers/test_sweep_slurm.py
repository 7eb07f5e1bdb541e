"""Sweeps through hydra/launcher=slurm on the local cluster: a 2 x 2 study, a requeued job that
resumes from its checkpoint, a cancelled job that ends the sweep clearly, a re-run that waits on the
jobs a dead sweep left in the queue, validation before sbatch, jobs that run the code frozen at submission."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

from xlt.results.store import finished
from xlt.sweep.code_version import code_version
from xlt.sweep.testing import (SMALL, STEPS, assert_same_results, checkpoint_step, read_results, run_cli, start_cli,
                               wait_for)

pytestmark = pytest.mark.slurm
# The private cluster's partition/account; poll the queue often (tests wait on a few short jobs).
SLURM = ("hydra/launcher=slurm", "cluster=slurm_local", "hydra.sweeper.poll_s=2")


def _submitted(log: str) -> dict[str, str]:
    """condition id -> SLURM job id, from the sweeper's 'submitted <jobs>: <conditions>' lines."""
    out: dict[str, str] = {}
    for jobs, conds in re.findall(r"submitted (\S[^:]*): (.+)$", log, flags=re.M):
        out.update(zip(conds.split(", "), jobs.split(", ")))
    return out


def _sacct(cluster, job: str, *fields: str, duplicates: bool = False) -> list[list[str]]:
    args = ["sacct", "-j", job, "-X", "-n", "-P", "-o", ",".join(fields)] + (["-D"] if duplicates else [])
    return [ln.split("|") for ln in cluster.run(*args).stdout.splitlines() if ln.strip()]


@pytest.mark.slow
def test_slurm_sweep_2x2(slurm_cluster, tmp_path):
    """Four conditions as one throttled array, each with its model's resources; all four results."""
    args = ["sweep_name=s", *SLURM, "hydra.launcher.array_parallelism=1", "model=tiny,tiny_llama",
            "regime=zero_shot,finetune", "logger=none", "data.n_eval=4", "targets=[arb_Arab,heb_Hebr]",
            "regime.epochs=1", "data.n_train=1", "regime.batch_size=2"]
    proc = run_cli(args, tmp_path, env=slurm_cluster.env)
    sweep = tmp_path / "s"
    results = read_results(sweep)
    assert len(results) == 4
    assert all(set(r["metrics"]["accuracy"]) == {"arb_Arab", "heb_Hebr"} for r in results.values())
    jobs = _submitted(proc.stdout + proc.stderr)
    assert sorted(jobs) == sorted(results) and len({j.split("_")[0] for j in jobs.values()}) == 1  # one array
    for job in jobs.values():
        # the result pickle comes a moment before the task ends: wait for accounting to catch up
        slurm_cluster.wait_state(job, {"COMPLETED"}, timeout=30)
        assert _sacct(slurm_cluster, job, "Partition", "Account") == [["xlt", "xlt"]]   # cluster=slurm_local
    [script] = {p.read_text() for p in sweep.glob(".submitit/*/*_submission.sh")}
    assert "#SBATCH --array=0-3%1" in script                          # array_parallelism throttles
    assert "#SBATCH --ntasks-per-node=1" in script and "#SBATCH --requeue" in script
    assert "#SBATCH --cpus-per-task=2" in script and "#SBATCH --mem=4GB" in script   # model.resources


@pytest.mark.slow
def test_requeued_job_resumes_from_its_checkpoint(slurm_cluster, tmp_path):
    """`scontrol requeue` mid fine-tuning: the job restarts, restores last.ckpt (step k > 0) and ends
    with the same result as an uninterrupted local run of the same condition."""
    args = [*SMALL, "regime=finetune", "hydra.sweeper.add_baselines=false"]
    total = STEPS
    sweep = tmp_path / "rq"
    proc = start_cli(["sweep_name=rq", *SLURM, *args], tmp_path, tmp_path / "sweep.log", env=slurm_cluster.env)
    try:
        ckpt = lambda: next(sweep.glob("*-finetune-*/checkpoints/last.ckpt"), None)  # noqa: E731
        wait_for(lambda: ckpt() is not None, 180, "a checkpoint of the running job", proc)
        [(cid, job)] = _submitted((tmp_path / "sweep.log").read_text()).items()
        slurm_cluster.run("scontrol", "requeue", job)
        # Read the checkpoint while the job waits to restart: exactly what the restart resumes from.
        wait_for(lambda: slurm_cluster.run("squeue", "-h", "-j", job, "-o", "%T", check=False).stdout.strip()
                 == "PENDING", 60, "the requeued job to be pending")
        step = checkpoint_step(ckpt())
        assert proc.wait(timeout=240) == 0, (tmp_path / "sweep.log").read_text()[-4000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert 0 < step < total, step
    slurm_cluster.wait_state(job, {"COMPLETED"}, timeout=30)
    states = [s for (s,) in _sacct(slurm_cluster, job, "State", duplicates=True)]
    assert states[0] == "REQUEUED" and states[-1] == "COMPLETED", states
    joblog = "".join(p.read_text() for p in sweep.glob(f".submitit/{job}/*_log.*"))
    assert joblog.count("Starting with JobEnvironment") == 2
    assert "Restoring states from the checkpoint path at" in joblog
    assert checkpoint_step(ckpt()) == total                           # no step trained twice
    run_cli(["sweep_name=ref", *args], tmp_path)                       # the same condition, uninterrupted
    assert_same_results(read_results(sweep), read_results(tmp_path / "ref"))


def test_cancelled_job_ends_the_sweep_with_its_name(slurm_cluster, tmp_path):
    """`scancel` one task of a 2-task array: the sweep waits for the other, exits non-zero soon after,
    names the cancelled condition; the other result is on disk."""
    sweep = tmp_path / "cx"
    # One CPU each: both tasks run side by side on the 2-core node.
    # Long enough fine-tuning (~300 steps, few checkpoints) that the cancel lands while it runs.
    proc = start_cli(["sweep_name=cx", *SLURM, *SMALL, "regime=zero_shot,finetune", "model.resources.cpus_per_task=1",
                      "regime.epochs=100", "regime.ckpt_every_n_steps=1000"],
                     tmp_path, tmp_path / "sweep.log", env=slurm_cluster.env)
    try:
        wait_for(lambda: any(sweep.glob("*-finetune-*/condition.json")), 180, "the fine-tuning job to start", proc)
        jobs = _submitted((tmp_path / "sweep.log").read_text())
        [(victim, job)] = [(c, j) for c, j in jobs.items() if "-finetune-" in c]
        slurm_cluster.run("scancel", job)
        cancelled_at = time.monotonic()
        rc = proc.wait(timeout=120)
        took = time.monotonic() - cancelled_at
    finally:
        if proc.poll() is None:
            proc.kill()
    log = (tmp_path / "sweep.log").read_text()
    assert rc != 0 and took < 60, (rc, took, log[-3000:])
    tail = log.split("SweepFailed")[-1]
    assert "1 of 2 conditions failed" in tail and victim in tail and f"SLURM job {job} ended CANCELLED" in tail
    [other] = [c for c in jobs if c != victim]
    assert [s.dir.name for s in finished(sweep)] == [other]


@pytest.mark.slow
def test_rerun_adopts_jobs_a_dead_sweep_left_running(slurm_cluster, tmp_path):
    """The sweep process is killed while its job trains; the job stays in the queue (suspended here, so
    it is certainly still there). Re-running the sweep adopts it instead of submitting it again, waits
    for it, and ends with its result: one SLURM job in all."""
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 1))
    args = ["sweep_name=ad", *SLURM, *SMALL, "regime=finetune", "hydra.sweeper.add_baselines=false",
            "regime.epochs=300", "regime.ckpt_every_n_steps=1000"]
    sweep = tmp_path / "ad"
    first = start_cli(args, tmp_path, tmp_path / "first.log", env=slurm_cluster.env)
    try:
        wait_for(lambda: any(sweep.glob("*-finetune-*/condition.json")), 180, "the job to start", first)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    [(cid, job)] = _submitted((tmp_path / "first.log").read_text()).items()
    # Pause the orphaned job so it is certainly still in the queue when the re-run looks.
    slurm_cluster.run("scontrol", "suspend", job)
    assert slurm_cluster.run("squeue", "-h", "-j", job, "-o", "%T").stdout.strip() == "SUSPENDED"
    again = start_cli(args, tmp_path, tmp_path / "again.log", env=slurm_cluster.env)
    try:
        adopted = f"adopted {job} (SUSPENDED; queued by an earlier run of this sweep): {cid}"
        wait_for(lambda: adopted in (tmp_path / "again.log").read_text(), 120, "the re-run to adopt the job", again)
        slurm_cluster.run("scontrol", "resume", job)
        assert again.wait(timeout=600) == 0, (tmp_path / "again.log").read_text()[-4000:]  # 300 epochs: slow on a loaded machine
    finally:
        if again.poll() is None:
            again.kill()
    out = (tmp_path / "again.log").read_text()
    assert not _submitted(out)                                           # nothing submitted again
    assert [s.dir.name for s in finished(sweep)] == [cid]
    slurm_cluster.wait_state(job, {"COMPLETED"}, timeout=30)
    lines = slurm_cluster.run("sacct", "-X", "-n", "-P", "-S", since, "-o", "JobID,SubmitLine").stdout
    assert len({ln.split("|")[0] for ln in lines.splitlines() if str(tmp_path) in ln}) == 1  # one job in all


def test_invalid_condition_submits_nothing(slurm_cluster, tmp_path):
    """Validation runs before sbatch: one bad condition, no job reaches the queue."""
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 1))
    proc = run_cli(["sweep_name=v", *SLURM, "regime=zero_shot,finetune", "data.split=kfold", "data.fold=0,9"],
                   tmp_path, env=slurm_cluster.env, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "nothing was launched" in out and "data.fold" in out, out[-3000:]
    assert not (tmp_path / "v" / ".submitit").exists()
    lines = slurm_cluster.run("sacct", "-X", "-n", "-P", "-S", since, "-o", "JobID,SubmitLine").stdout
    assert str(tmp_path) not in lines                                # sacct: no job from this sweep


def test_refused_submission_is_reported_per_condition(slurm_cluster, tmp_path):
    """sbatch refuses the job (unknown partition): the sweep names the condition and sbatch's reason."""
    proc = run_cli(["sweep_name=p", *SLURM, "hydra.launcher.partition=nope", "logger=none", "regime=zero_shot"],
                   tmp_path, env=slurm_cluster.env, check=False)
    tail = (proc.stdout + proc.stderr).split("SweepFailed")[-1]
    assert proc.returncode != 0 and "1 of 1 conditions failed" in tail
    assert "submission failed" in tail and "invalid partition specified: nope" in tail, tail[-2000:]


def test_jobs_run_the_code_frozen_at_submission(slurm_cluster, tmp_path):
    """The job imports the copy of the code frozen when the sweep submitted (<sweep>/.submitit/code/<id>),
    not the checkout, whose files may change while it queues."""
    run_cli(["sweep_name=fz", *SLURM, "logger=none", "regime=zero_shot", "data.n_eval=2", "targets=[arb_Arab]"],
            tmp_path, env=slurm_cluster.env)
    sweep = tmp_path / "fz"
    [frozen] = list((sweep / ".submitit" / "code").iterdir())
    assert code_version(frozen)["id"] == frozen.name and (frozen / "xlt" / "sweep" / "launch.py").is_file()
    [script] = [p.read_text() for p in sweep.glob(".submitit/*/*_submission.sh")]
    assert f"export PYTHONPATH={frozen}" in script and "export PYTHONSAFEPATH=1" in script
    joblog = "".join(p.read_text() for p in sweep.glob(".submitit/*/*_log.out"))
    assert f"xlt: job runs the code in {frozen} (code {frozen.name} " in joblog, joblog[-3000:]
    assert len(list(finished(sweep))) == 1

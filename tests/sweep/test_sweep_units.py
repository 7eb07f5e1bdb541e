"""Fast checks of the sweep's parts: DONE judges outcomes, per-job launcher settings, store, snapshot."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf

from xlt.results.store import ConditionStore, atomic_write_json, failed, finished
from xlt.sweep.launch import launcher_groups, run_batch
from xlt.sweep.snapshot import git_state, versions
from xlt.sweep.validate import PlannedJob


def _job(tmp_path: Path, i: int, launcher: dict | None = None) -> PlannedJob:
    cfg = OmegaConf.create({"hydra": {"launcher": {"_target_": "x", **(launcher or {})}}})
    return PlannedJob(i, [f"seed={i}"], f"c{i}", tmp_path / f"c{i}", cfg)


def _finish(job: PlannedJob) -> None:
    ConditionStore(job.run_dir).write_results({"accuracy": {}}, [])


class _Launcher:
    """Finishes the jobs it is told to, fails others, or raises after finishing some."""

    def __init__(self, finish: set[int], raise_after: bool = False, fail: set[int] = frozenset()) -> None:
        self.finish, self.raise_after, self.fail = finish, raise_after, fail
        self.jobs: list[PlannedJob] = []

    def launch(self, overrides, initial_job_idx):
        rets = []
        for job in self.jobs:
            if job.index in self.finish:
                _finish(job)
            ret = JobReturn()
            ret.status, ret.return_value = (JobStatus.FAILED, ValueError("boom")) if job.index in self.fail \
                else (JobStatus.COMPLETED, 0.5)
            rets.append(ret)
        if self.raise_after:
            raise RuntimeError("UncompletedJobError: job 7_1 CANCELLED")
        return rets


def test_launcher_exception_reports_only_the_truly_missing(tmp_path):
    jobs = [_job(tmp_path, 0), _job(tmp_path, 1)]
    launcher = _Launcher(finish={0}, raise_after=True)
    launcher.jobs = jobs
    outcomes = run_batch(launcher, jobs)
    assert [o.ok for o in outcomes] == [True, False]
    assert "CANCELLED" in outcomes[1].error


def test_failed_job_return_and_missing_done(tmp_path):
    jobs = [_job(tmp_path, 0), _job(tmp_path, 1), _job(tmp_path, 2)]
    launcher = _Launcher(finish={0}, fail={1})
    launcher.jobs = jobs
    seen = []
    outcomes = run_batch(launcher, jobs, on_finished=seen.append)
    assert outcomes[0].ok and outcomes[1].error == "ValueError: boom"
    assert "no DONE" in outcomes[2].error          # "completed" without a result is still missing
    assert sum(seen) == 3


def test_force_ignores_a_done_from_before_the_sweep(tmp_path):
    import time

    [job] = [_job(tmp_path, 0)]
    _finish(job)
    launcher = _Launcher(finish=set(), raise_after=True)
    launcher.jobs = [job]
    assert run_batch(launcher, [job])[0].ok                                  # old DONE: finished
    assert not run_batch(launcher, [job], since=time.time() + 1)[0].ok        # force: it is what is redone


def test_each_job_gets_its_own_models_resources(compose):
    """Hydra resolves the launcher once from the master config; the sweep resolves it per job."""
    def planned(i: int, model: str) -> PlannedJob:
        cfg = compose(["hydra/launcher=slurm", f"model={model}", "hydra.launcher.array_parallelism=2"],
                      hydra_config=True)
        return PlannedJob(i, [f"model={model}"], model, Path("/nowhere"), cfg)

    groups = launcher_groups([planned(0, "tiny"), planned(1, "qwen3_4b"), planned(2, "tiny_llama")])
    assert [members for _, members in groups] == [[0, 2], [1]]
    (tiny, _), (qwen, _) = groups
    assert (tiny["gpus_per_node"], tiny["mem_gb"]) == (0, 4)
    assert (qwen["gpus_per_node"], qwen["mem_gb"], qwen["timeout_min"]) == (1, 64, 240)
    assert tiny["array_parallelism"] == qwen["array_parallelism"] == 2       # the throttle is configurable
    assert tiny["tasks_per_node"] == 1 and "_target_" not in tiny


def test_store_reads_only_finished_results(tmp_path):
    """condition.json without DONE, a stray temp file, a FAILED marker: none is read as finished."""
    started = ConditionStore(tmp_path / "started")
    started.write_condition({"id": "started"})
    (started.dir / "predictions.jsonl").write_text('{"half": ')
    (started.dir / ".DONE.abc.tmp").write_text("ok\n")      # a rename that never happened
    broken = ConditionStore(tmp_path / "broken")
    broken.write_condition({"id": "broken"})
    broken.write_failure("Traceback ...")
    done = ConditionStore(tmp_path / "done")
    done.write_condition({"id": "done"})
    done.write_results({"accuracy": {"x": 1.0}}, [{"pred": 1}])
    (tmp_path / "snapshots").mkdir()
    assert [s.dir.name for s in finished(tmp_path)] == ["done"]
    assert [s.dir.name for s in failed(tmp_path)] == ["broken"]
    assert done.predictions() == [{"pred": 1}] and not (done.dir / "FAILED").exists()
    broken.write_results({"accuracy": {}}, [])               # a retry that succeeds clears FAILED
    assert failed(tmp_path) == [] and {s.dir.name for s in finished(tmp_path)} == {"done", "broken"}


def test_atomic_write_leaves_old_content_on_failure(tmp_path):
    path = tmp_path / "m.json"
    atomic_write_json(path, {"a": 1})
    with pytest.raises(TypeError):
        atomic_write_json(path, {"a": object()})
    assert path.read_text().strip().startswith("{") and '"a": 1' in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_git_state_clean_and_dirty(tmp_path):
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    assert git_state(tmp_path) == {"sha": None, "dirty": None}    # not a checkout
    git("init", "-q")
    (tmp_path / "f").write_text("1")
    git("add", "f")
    git("commit", "-qm", "c")
    state = git_state(tmp_path)
    assert len(state["sha"]) == 40 and state["dirty"] is False
    (tmp_path / "f").write_text("2")
    assert git_state(tmp_path)["dirty"] is True
    assert versions()["hydra-core"] and "submitit" in versions()


class _FakeJob:
    """What job_ended reads of a submitit job: done(), paths.result_pickle, job_id."""

    def __init__(self, tmp_path, done: bool = True, result: bool = False) -> None:
        from types import SimpleNamespace

        self.job_id, self._done = "7", done
        self.paths = SimpleNamespace(result_pickle=tmp_path / "7_result.pkl")
        if result:
            self.paths.result_pickle.write_bytes(b"x")

    def done(self) -> bool:
        return self._done


def _fake_squeue(tmp_path, monkeypatch, line: str) -> None:
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "squeue").write_text(f"#!/bin/sh\necho '{line}'\n")
    (fake / "squeue").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))


@pytest.mark.parametrize("state, ended", [("SUSPENDED", False), ("STOPPED", False), ("REQUEUE_HOLD", False),
                                          ("CANCELLED by 0", True), ("COMPLETED", True), ("FAILED", True),
                                          ("OUT_OF_MEMORY", True)])
def test_a_suspended_job_is_not_finished(tmp_path, monkeypatch, state, ended):
    """submitit calls SUSPENDED "done"; the queue (squeue) still holds the job, so the sweep keeps waiting."""
    from xlt.sweep.launch import job_ended

    _fake_squeue(tmp_path, monkeypatch, f"7 {state}")
    assert job_ended(_FakeJob(tmp_path)) is ended
    assert job_ended(_FakeJob(tmp_path, result=True))       # a result on disk always ends it
    assert not job_ended(_FakeJob(tmp_path, done=False))
    _fake_squeue(tmp_path, monkeypatch, "8 RUNNING")         # gone from the queue: ended
    assert job_ended(_FakeJob(tmp_path))


def test_version_check_says_when_a_release_was_not_written_for(monkeypatch, caplog):
    from xlt.sweep import launch

    launch.check_versions.cache_clear()
    monkeypatch.setattr(launch.metadata, "version", lambda name: {"submitit": "1.6.0"}.get(name, "1.2.0"))
    with caplog.at_level("WARNING"):
        assert launch.check_versions()["submitit"] == "1.6.0"
    assert "submitit 1.6.0 is installed" in caplog.text and "written for 1.5.x" in caplog.text
    assert "hydra-submitit-launcher" not in caplog.text
    launch.check_versions.cache_clear()


def test_inflight_record_and_queue_query(tmp_path, monkeypatch):
    from xlt.sweep import inflight

    assert inflight.read(tmp_path) == {}
    inflight.record(tmp_path, [("a", "1"), ("b", "2_0")])
    inflight.record(tmp_path, [("a", "3")])                          # a re-submission replaces the old id
    assert inflight.read(tmp_path) == {"a": "3", "b": "2_0"}
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))             # no squeue: nothing is adopted
    assert inflight.live_jobs(["3"]) == {}
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "squeue").write_text("#!/bin/sh\necho '3 RUNNING'\necho '9 PENDING'\n")
    (fake / "squeue").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    assert inflight.live_jobs(["3", "2_0"]) == {"3": "RUNNING"}       # only asked-for ids, as squeue lists them

"""The local SLURM cluster (launchers/slurm_cluster.sh) and the sbatch template on it.

The tests marked `slurm` share one cluster (session fixture in conftest.py). The `down` test runs last
in this file and brings the cluster back up, so later users of the fixture still find it running.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SBATCH_TEMPLATE = ROOT / "launchers" / "sbatch_deepspeed.sbatch"
RAY_TEMPLATE = ROOT / "launchers" / "vllm_ray_eval.sbatch"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_scripts_parse():
    for script in (ROOT / "launchers" / "slurm_cluster.sh", SBATCH_TEMPLATE, RAY_TEMPLATE):
        res = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert res.returncode == 0, f"{script.name}: {res.stderr}"


def test_sbatch_template_directives():
    """The #SBATCH header asks for what the multi-node DeepSpeed case needs."""
    text = SBATCH_TEMPLATE.read_text()
    for directive in ("--nodes=", "--ntasks-per-node=8", "--gpus-per-node=8", "--requeue", "--signal=USR2@120"):
        assert f"#SBATCH {directive}" in text, directive
    assert "scontrol show hostnames" in text and "MASTER_PORT" in text
    assert "srun" in text and " -m xlt.train" in text and " -m \\" not in text.split("xlt.train")[1]


def test_ray_template_serves_the_preset_across_nodes():
    """One Ray head + workers, one driver running the condition with engine=vllm on Ray; the preset's
    serve block (TP 8 x PP 2, hub FP8 weights) is what it runs, not flags repeated here."""
    text = RAY_TEMPLATE.read_text()
    assert "#SBATCH --nodes=2" in text and "#SBATCH --ntasks-per-node=1" in text
    assert "start --head" in text and "--address=" in text and "ray.nodes()" in text
    assert "engine=vllm engine.distributed_executor_backend=ray" in text
    assert "tensor_parallel_size=" not in text.split("xlt.train")[-1] and "train_only=true" in text
    from xlt.config.compose import compose

    cfg = compose(["model=deepseek_v31", "engine=vllm", "engine.distributed_executor_backend=ray"])
    assert (cfg.model.serve.tensor_parallel_size, cfg.model.serve.pipeline_parallel_size) == (8, 2)
    assert cfg.model.serve.from_hub and cfg.engine.distributed_executor_backend == "ray"


@pytest.mark.slurm
def test_ray_template_accepted_when_reduced(slurm_cluster, tmp_path):
    res = slurm_cluster.run(
        "sbatch", "--test-only", "--nodes=1", "--gpus-per-node=0", "--cpus-per-task=1", "--time=10",
        str(RAY_TEMPLATE), "lang=ar", cwd=tmp_path, check=False)
    assert res.returncode == 0, res.stderr
    assert "to start at" in res.stderr


@pytest.mark.slurm
def test_job_completes(slurm_cluster, tmp_path):
    job = slurm_cluster.sbatch("-o", str(tmp_path / "%j.out"), "--wrap", "sleep 2; echo hi")
    assert slurm_cluster.wait_state(job, {"COMPLETED", "FAILED", "CANCELLED"}) == "COMPLETED"
    assert (tmp_path / f"{job}.out").read_text().strip() == "hi"


@pytest.mark.slurm
def test_cancelled_job_is_recorded(slurm_cluster, tmp_path):
    job = slurm_cluster.sbatch("-o", str(tmp_path / "%j.out"), "--wrap", "sleep 120")
    slurm_cluster.wait_state(job, {"RUNNING"})
    slurm_cluster.run("scancel", job)
    assert slurm_cluster.wait_state(job, {"CANCELLED", "COMPLETED", "FAILED"}) == "CANCELLED"


@pytest.mark.slurm
def test_requeue_restarts_quickly(slurm_cluster, tmp_path):
    """AuthInfo=cred_expire=10: a requeued job runs again in ~11 s, not after the default 120 s."""
    out = tmp_path / "rq.out"
    job = slurm_cluster.sbatch("--requeue", "--open-mode=append", "-o", str(out),
                               "--wrap", "echo restart=${SLURM_RESTART_COUNT:-0}; sleep 60")
    slurm_cluster.wait_state(job, {"RUNNING"})
    t0 = time.monotonic()
    slurm_cluster.run("scontrol", "requeue", job)
    try:
        while time.monotonic() - t0 < 30:
            if "restart=1" in (out.read_text() if out.exists() else ""):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"requeued job {job} did not restart within 30 s: {out.read_text()!r}")
        assert time.monotonic() - t0 < 20
    finally:
        slurm_cluster.run("scancel", job, check=False)


@pytest.mark.slurm
def test_sbatch_template_accepted_when_reduced(slurm_cluster, tmp_path):
    """sbatch accepts the DeepSpeed template on one CPU node when the resources are overridden."""
    res = slurm_cluster.run(
        "sbatch", "--test-only", "--nodes=1", "--ntasks-per-node=1", "--gpus-per-node=0",
        "--cpus-per-task=1", "--time=10", str(SBATCH_TEMPLATE), "lang=ar", cwd=tmp_path, check=False)
    assert res.returncode == 0, res.stderr
    assert "to start at" in res.stderr


@pytest.mark.slurm
def test_hydra_sweep_through_slurm_preset(slurm_cluster, tmp_path):
    """A 2-job Hydra multirun with hydra/launcher=slurm runs on the cluster via submitit.

    A stand-in app (not xlt.train, which has its own tests) with the model.resources schema, so the
    preset's interpolations, the submitit job array and sacct polling are exercised end to end."""
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text(textwrap.dedent(f"""\
        defaults:
          - override hydra/launcher: slurm
          - _self_
        model:
          resources: {{nodes: 1, gpus_per_node: 0, cpus_per_task: 1, mem_gb: 1, timeout_min: 15}}
        x: 0
        hydra:
          searchpath: [file://{ROOT / 'conf'}]
          sweep: {{dir: {tmp_path / 'sweep'}, subdir: 'x${{x}}'}}
        """))
    (tmp_path / "app.py").write_text(textwrap.dedent("""\
        import os, hydra
        @hydra.main(config_path="conf", config_name="config", version_base="1.3")
        def main(cfg):
            with open(f"done_{cfg.x}", "w") as f:
                f.write(f"{os.environ['SLURM_JOB_ID']} {os.environ.get('SLURM_CONF', '')} "
                        f"{os.environ.get('PYTHONUNBUFFERED', '')}")
        if __name__ == "__main__":
            main()
        """))
    res = subprocess.run([sys.executable, "app.py", "-m", "x=1,2"], cwd=tmp_path, env=slurm_cluster.env,
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    for x in (1, 2):
        job_id, conf, unbuffered = (tmp_path / f"done_{x}").read_text().split()
        # slurmdbd records the end a moment after submitit has read the result.
        assert slurm_cluster.wait_state(job_id, {"COMPLETED", "FAILED", "CANCELLED"}) == "COMPLETED"
        assert conf == str(slurm_cluster.conf)   # the preset's setup exported the private cluster
        assert unbuffered == "1"
    script = next((tmp_path / "sweep" / ".submitit").glob("*/*submission.sh")).read_text()
    assert "#SBATCH --requeue" in script and "#SBATCH --mem=1GB" in script


# Keep last: it restarts the shared cluster.
@pytest.mark.slurm
def test_down_stops_exactly_what_up_started(slurm_cluster, tmp_path):
    pids = slurm_cluster.pids()
    assert set(pids) == {"munged", "mariadb", "slurmdbd", "slurmctld", "slurmd"}
    assert all(_alive(p) for p in pids.values())
    # Decoys named like the daemons: anything killing by name (pkill slurmd, killall mariadbd) hits them.
    decoys = []
    for name in ("slurmd", "slurmctld", "mariadbd", "munged"):
        fake = tmp_path / name
        fake.symlink_to("/bin/sleep")
        decoys.append(subprocess.Popen([str(fake), "300"], start_new_session=True))
    # A job still running at `down` must not be left behind either.
    job = slurm_cluster.sbatch("-o", str(tmp_path / "%j.out"), "--wrap", "sleep 300")
    slurm_cluster.wait_state(job, {"RUNNING"})
    try:
        t0 = time.monotonic()
        res = slurm_cluster.script_cmd("down")
        took = time.monotonic() - t0
        assert res.returncode == 0, res.stderr
        for name, pid in pids.items():
            assert not _alive(pid), f"{name} (pid {pid}) still running after down"
        assert not list((slurm_cluster.state_dir / "pids").glob("*.pid"))
        # Nothing left in the daemons' sessions (job steps, the job's `sleep 300`).
        sessions = {str(p) for p in pids.values()}
        ps = subprocess.run(["ps", "-e", "-o", "pid=,sid=,args="], capture_output=True, text=True).stdout
        left = [ln for ln in ps.splitlines() if ln.split()[1] in sessions]
        assert not left, left
        for d in decoys:
            assert d.poll() is None, f"decoy {d.args[0]} was killed"
        assert slurm_cluster.script_cmd("status").returncode == 3
        print(f"down took {took:.1f} s")
    finally:
        for d in decoys:
            d.kill()
            d.wait()
        up = slurm_cluster.script_cmd("up")   # restore for later users of the session fixture
    assert up.returncode == 0, up.stderr
    assert slurm_cluster.script_cmd("status").returncode == 0


@pytest.mark.slurm
def test_second_cluster_moves_to_free_ports(slurm_cluster, tmp_path):
    """Another checkout's cluster holds the default ports: `up` picks a free block and records it."""
    import re

    state = tmp_path / "second"
    env = {**slurm_cluster.env, "XLT_SLURM_DIR": str(state), "SLURM_CONF": str(state / "etc" / "slurm.conf")}
    env.pop("XLT_SLURM_PORT", None)
    other = type(slurm_cluster)(state_dir=state, env=env)
    first_port = int(re.search(r"SlurmctldPort=(\d+)", slurm_cluster.conf.read_text()).group(1))
    try:
        up = other.script_cmd("up")
        assert up.returncode == 0, up.stderr[-3000:]
        port = int((other.state_dir / "port").read_text())
        assert port != first_port
        assert f"SlurmctldPort={port}" in other.conf.read_text()
        job = other.sbatch("--wrap", "true", "-o", str(tmp_path / "o.txt"))
        assert other.wait_state(job, {"COMPLETED"}, timeout=60) == "COMPLETED"
        assert slurm_cluster.script_cmd("status").returncode == 0  # the first one is untouched
    finally:
        assert other.script_cmd("down").returncode == 0

"""The local SLURM cluster as a session fixture (launchers/slurm_cluster.sh).

Use it from any test marked `@pytest.mark.slurm`:

    def test_x(slurm_cluster):
        out = slurm_cluster.run("sbatch", "--parsable", "--wrap", "true")
        subprocess.run([...], env=slurm_cluster.env)   # SLURM_CONF points at the private cluster
        slurm_cluster.wait_state(job_id, {"COMPLETED"})

The fixture brings the cluster up once per session and takes it down at the end, but only if it was
not already running (a cluster someone started by hand is reused and left alone). It skips, with the
reason, when not root or when the packages cannot be installed; any other failure to come up fails.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "launchers" / "slurm_cluster.sh"
# Reasons `up` gives when the machine cannot host the cluster (skip, do not fail).
_CANNOT = ("run as root", "and not root", "apt-get install failed", "apt-get update failed", "no apt-get")


@dataclass
class SlurmCluster:
    """A running local cluster. `env` is os.environ plus SLURM_CONF: pass it to subprocesses."""

    state_dir: Path
    env: dict
    script: Path = SCRIPT

    @property
    def conf(self) -> Path:
        return Path(self.env["SLURM_CONF"])

    def run(self, *cmd: str, check: bool = True, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
        """Run a command (sbatch, sacct, ...) against this cluster; text output captured."""
        return subprocess.run(list(cmd), env=self.env, capture_output=True, text=True, check=check,
                              timeout=timeout, **kw)

    def script_cmd(self, action: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """launchers/slurm_cluster.sh ACTION with this cluster's state dir."""
        return self.run("bash", str(self.script), action, check=False, timeout=timeout)

    def sbatch(self, *args: str, cwd: str | os.PathLike | None = None) -> str:
        """Submit; returns the job id."""
        return self.run("sbatch", "--parsable", *args, cwd=cwd).stdout.strip().split(";")[0]

    def sacct_state(self, job_id: str) -> str:
        """The job's state as accounting records it ('' while slurmdbd has no record yet).

        `CANCELLED by 0` is reported as `CANCELLED`."""
        out = self.run("sacct", "-j", job_id, "-X", "-n", "-P", "-o", "State", check=False).stdout
        lines = [ln for ln in out.splitlines() if ln.strip()]
        return lines[-1].split()[0] if lines else ""

    def wait_state(self, job_id: str, states: set[str], timeout: float = 60) -> str:
        """Poll sacct until the job is in one of `states`; returns it, or fails with the last one."""
        end = time.monotonic() + timeout
        state = ""
        while time.monotonic() < end:
            state = self.sacct_state(job_id)
            if state in states:
                return state
            time.sleep(0.5)
        pytest.fail(f"job {job_id}: sacct state {state!r} after {timeout}s, wanted {sorted(states)}")

    def pids(self) -> dict[str, int]:
        """PIDs the script recorded for the daemons it started (name -> pid)."""
        return {p.stem: int(p.read_text().split()[0]) for p in sorted((self.state_dir / "pids").glob("*.pid"))}


def _cluster_env(state_dir: Path) -> dict:
    env = dict(os.environ, XLT_SLURM_DIR=str(state_dir))
    env["SLURM_CONF"] = str(state_dir / "etc" / "slurm.conf")
    return env


@pytest.fixture(scope="session")
def slurm_cluster():
    """Bring the local cluster up for the session (skip if the machine cannot), down afterwards."""
    if os.geteuid() != 0:
        pytest.skip("local SLURM cluster needs root (daemons run as root without systemd)")
    state_dir = Path(os.environ.get("XLT_SLURM_DIR", ROOT / ".slurm")).resolve()
    cluster = SlurmCluster(state_dir=state_dir, env=_cluster_env(state_dir))
    already_up = cluster.script_cmd("status").returncode == 0
    up = cluster.script_cmd("up")
    if up.returncode != 0:
        msg = (up.stderr or up.stdout).strip()
        if any(reason in msg for reason in _CANNOT):
            pytest.skip(f"local SLURM cluster unavailable: {msg.splitlines()[-1] if msg else up.returncode}")
        pytest.fail(f"launchers/slurm_cluster.sh up failed (rc {up.returncode}):\n{msg[-4000:]}")
    yield cluster
    if not already_up:
        down = cluster.script_cmd("down")
        assert down.returncode == 0, down.stderr


@pytest.fixture(scope="session")
def reference_sweep(tmp_path_factory) -> Path:
    """The uninterrupted local reference sweep (same directory as tests/sweep's fixture: run once)."""
    from xlt.sweep.testing import reference_sweep

    return reference_sweep(tmp_path_factory.getbasetemp() / "xlt-reference")

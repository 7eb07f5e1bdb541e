"""Sweeps that survive, with the local launcher: a failing condition, a killed sweep, the snapshot."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from xlt.results.store import failed, finished
from xlt.sweep.testing import (PAIR, ROOT, SMALL, STEPS, assert_same_results, checkpoint_step, read_results, run_cli,
                               start_cli, wait_for)


def test_runtime_failure_in_one_condition_keeps_the_others(tmp_path):
    """A corrupt data file passes validation (the file exists) and fails at run time, in the first
    condition only: the second still runs, the sweep exits non-zero and names the failed one."""
    from xlt.data.fixtures import write_fixtures

    good, bad = tmp_path / "good", tmp_path / "bad"
    for folder in (good, bad):
        write_fixtures(folder, ["arb_Arab", "heb_Hebr"])
    heb = bad / "heb_Hebr.jsonl"
    heb.write_text(heb.read_text(encoding="utf-8")[:-40], encoding="utf-8")  # a half-written last row
    proc = run_cli(["sweep_name=f", "regime=zero_shot", "data=local", "data.n_eval=4", "logger=none",
                    "targets=[arb_Arab,heb_Hebr]", f"data.dir={bad},{good}"], tmp_path / "out", check=False)
    out = proc.stdout + proc.stderr
    sweep = tmp_path / "out" / "f"
    assert proc.returncode != 0, out[-3000:]
    [fin] = list(finished(sweep))
    [fail] = failed(sweep)
    assert fin.condition().config["data"]["dir"] == str(good)
    assert "heb_Hebr.jsonl" in (fail.dir / "FAILED").read_text() and not (fail.dir / "DONE").exists()
    assert "SweepFailed: 1 of 2 conditions failed" in out, out[-3000:]
    assert f"{fail.dir.name} (" in out and "not valid JSON" in out
    assert fin.dir.name not in out.split("SweepFailed")[-1]   # the finished one is not listed as failed


def test_killed_sweep_reruns_only_what_is_missing(tmp_path, reference_sweep):
    """SIGKILL the whole sweep while the second condition trains; the half-done condition is never read
    as finished; the re-run skips the first, resumes the second, and matches an uninterrupted sweep."""
    from xlt.report.collect import accuracy_table

    args = ["sweep_name=k", *PAIR]
    sweep = tmp_path / "k"
    proc = start_cli(args, tmp_path, tmp_path / "first.log")
    try:
        ckpts = lambda: list(sweep.glob("*-finetune-*/checkpoints/last.ckpt"))  # noqa: E731
        wait_for(lambda: any(sweep.glob("*zero_shot*/DONE")) and ckpts(), 300,
                 "zero-shot DONE and a fine-tuning checkpoint", proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    [first] = [s.dir for s in finished(sweep)]
    [partial] = [d for d in sweep.glob("*-finetune-*")]
    assert (partial / "condition.json").exists() and not (partial / "DONE").exists()
    assert set(accuracy_table(sweep)["condition"]) == {first.name}   # the report ignores the partial one
    step = checkpoint_step(partial / "checkpoints" / "last.ckpt")
    assert 0 < step < STEPS
    done_before = (first / "DONE").stat().st_mtime_ns

    again = run_cli(args, tmp_path)
    log = again.stdout + again.stderr
    assert "2 conditions, 1 already finished, 1 to run" in log
    assert f"resuming from {partial / 'checkpoints' / 'last.ckpt'}" in log
    assert (first / "DONE").stat().st_mtime_ns == done_before
    assert checkpoint_step(partial / "checkpoints" / "last.ckpt") == STEPS   # no step trained twice
    assert_same_results(read_results(sweep), read_results(reference_sweep))


def test_snapshot_records_code_config_and_versions(reference_sweep):
    """sweep.json: git SHA + dirty flag of this checkout, each condition's resolved config, versions."""
    from importlib import metadata

    snap = json.loads((reference_sweep / "sweep.json").read_text())
    sha = snap["git"]["sha"]
    # HEAD itself may have moved on since (commits during the session): the sha must be one of its commits.
    ancestor = subprocess.run(["git", "merge-base", "--is-ancestor", sha, "HEAD"], cwd=ROOT)
    assert len(sha) == 40 and ancestor.returncode == 0 and isinstance(snap["git"]["dirty"], bool)
    assert snap["versions"]["torch"] == metadata.version("torch")
    assert snap["versions"]["submitit"] == metadata.version("submitit")
    conds = {c["id"]: c for c in snap["conditions"]}
    assert conds == {d.name: conds[d.name] for d in reference_sweep.iterdir() if (d / "DONE").exists()}
    for cond in conds.values():
        cfg = cond["config"]
        assert cfg["regime"]["epochs"] == 40 and cfg["data"]["n_eval"] == 4 and "hydra" not in cfg
        assert "${" not in json.dumps(cfg)                              # resolved
        assert set(SMALL) <= set(cond["overrides"]) and cond["launcher"] == {}   # basic launcher: no settings
        # the job ran exactly the config that was planned and snapshotted
        assert cfg == json.loads((Path(cond["run_dir"]) / "condition.json").read_text())["config"]
    assert len(list((reference_sweep / "snapshots").glob("*.json"))) >= 1
    assert set(snap["skipped_finished"]) in (set(), set(conds))   # 2nd fixture call: all skipped

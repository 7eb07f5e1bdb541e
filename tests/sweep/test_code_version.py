"""The code version of a checkout, the frozen copy SLURM jobs run, and the sweep that refuses to mix versions."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from xlt.results.records import ConditionRecord
from xlt.sweep.code_version import CodeChanged, check_finished, check_planned, code_version, describe
from xlt.sweep.testing import run_cli

# condition.json carries the code version once the typed record declares it (and the pipeline writes it).
needs_record = pytest.mark.skipif("code_version" not in {f.name for f in dataclasses.fields(ConditionRecord)},
                                  reason="ConditionRecord (xlt/results/records.py) has no code_version field yet")


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=root, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path) -> Path:
    """A checkout with code under xlt/ and conf/, a doc outside them and an ignored cache."""
    root = tmp_path / "repo"
    for rel, text in {"xlt/a.py": "A = 1\n", "conf/c.yaml": "x: 1\n", "README.md": "doc\n",
                      ".gitignore": "__pycache__/\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "c")
    return root


def test_clean_dirty_untracked_and_same_content(repo):
    clean = code_version(repo)
    assert clean["source"] == "git" and len(clean["git_sha"]) == 40 and clean["uncommitted"] is None
    assert code_version(repo) == clean                                     # deterministic
    (repo / "xlt" / "__pycache__").mkdir()
    (repo / "xlt" / "__pycache__" / "a.pyc").write_bytes(b"\0")            # ignored: not code
    (repo / "README.md").write_text("other doc\n")                         # outside the code folders
    assert code_version(repo)["id"] == clean["id"]

    (repo / "xlt" / "a.py").write_text("A = 2\n")
    dirty = code_version(repo)
    assert dirty["id"] != clean["id"] and dirty["uncommitted"] and dirty["git_sha"] == clean["git_sha"]
    (repo / "xlt" / "new.py").write_text("B = 1\n")                        # untracked, not ignored
    untracked = code_version(repo)
    assert len({clean["id"], dirty["id"], untracked["id"]}) == 3
    assert untracked["uncommitted"] != dirty["uncommitted"]

    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "as it was")                               # same content, committed
    committed = code_version(repo)
    assert committed["id"] == untracked["id"] and committed["uncommitted"] is None
    assert committed["git_sha"] != clean["git_sha"]
    (repo / "xlt" / "a.py").write_text("A = 1\n")                          # back to the first content
    assert code_version(repo)["uncommitted"] and code_version(repo)["id"] != clean["id"]  # new.py is still there


def test_outside_a_checkout_the_package_files_are_hashed(repo, tmp_path):
    plain = tmp_path / "installed"
    for name in ("xlt", "conf"):
        shutil.copytree(repo / name, plain / name)
    (plain / "xlt" / "__pycache__").mkdir()
    (plain / "xlt" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    version = code_version(plain)
    assert version["source"] == "files" and version["git_sha"] is None
    assert version["id"] == code_version(repo)["id"]                       # same files, same id
    assert "package files" in describe(version)


def test_freeze_code_copies_the_working_tree(repo, tmp_path):
    """RsyncSnapshot copies tracked files as they are (uncommitted edits included) and the untracked code."""
    from xlt.sweep.snapshot import freeze_code

    (repo / "xlt" / "a.py").write_text("A = 2\n")
    (repo / "xlt" / "new.py").write_text("B = 1\n")
    want = code_version(repo)
    frozen = freeze_code(tmp_path / "code", root=repo)
    assert frozen == (tmp_path / "code" / want["id"]).resolve()
    assert (frozen / "xlt" / "a.py").read_text() == "A = 2\n" and (frozen / "xlt" / "new.py").exists()
    got = code_version(frozen)
    assert got["id"] == want["id"] and got["uncommitted"] == want["uncommitted"] and got["root"] == str(frozen)
    (repo / "xlt" / "a.py").write_text("A = 3\n")                          # later edits do not reach the copy
    assert (frozen / "xlt" / "a.py").read_text() == "A = 2\n"
    assert freeze_code(tmp_path / "code", root=repo) != frozen             # another version, another copy
    assert [p.name for p in (tmp_path / "code").iterdir() if p.name.startswith(".")] == []   # no temp left
    assert freeze_code(tmp_path / "elsewhere", root=tmp_path / "code" / "missing") is None  # not a checkout


def _version(vid: str, sha: str = "a" * 40, uncommitted: str | None = None) -> dict:
    return {"id": vid, "git_sha": sha, "uncommitted": uncommitted, "source": "git", "root": "/x"}


def test_refusal_names_conditions_and_both_versions():
    current = _version("1" * 16, "b" * 40, "f" * 16)
    old = _version("2" * 16)
    finished = [(f"old{i}", old) for i in range(7)] + [("same", current), ("legacy", None)]
    with pytest.raises(CodeChanged) as err:
        check_finished(finished, current, allow=False)
    msg = str(err.value)
    assert "7 finished condition(s)" in msg and "allow_code_change=true" in msg and "force=true" in msg
    assert f"code {'1' * 16} (git bbbbbbbbbb + uncommitted {'f' * 16})" in msg            # this run's
    assert f"code {'2' * 16} (git aaaaaaaaaa): old0, old1, old2, old3, old4 and 2 more" in msg  # theirs
    assert "same" not in msg and "legacy" not in msg           # same code; no version recorded: not comparable
    assert check_finished(finished, current, allow=True) == [f"old{i}" for i in range(7)]
    assert check_finished([("same", current), ("legacy", None)], current, allow=False) == []


@needs_record
def test_check_planned_reads_the_store(tmp_path):
    """Finished conditions (DONE) are checked against their condition.json; unfinished ones are not."""
    from types import SimpleNamespace

    from xlt.results.store import ConditionStore

    def job(name: str, version: dict | None, done: bool = True):
        store = ConditionStore(tmp_path / name)
        store.write_condition({"id": name, **({"code_version": version} if version else {})})
        if done:
            store.write_results({"accuracy": {}}, [])
        return SimpleNamespace(condition_id=name, run_dir=store.dir, done=done)

    now = code_version()
    same, todo, legacy = job("same", now), job("todo", _version("3" * 16), done=False), job("legacy", None)
    assert check_planned([same, todo, legacy], allow=False)["id"] == now["id"]
    other = job("other", _version("3" * 16))
    with pytest.raises(CodeChanged, match="other"):
        check_planned([same, other, todo], allow=False)
    assert check_planned([same, other], allow=True)["id"] == now["id"]


@needs_record
def test_sweep_refuses_finished_conditions_of_other_code(tmp_path):
    """End to end: a finished condition whose recorded code differs stops the re-run before anything runs,
    naming it; allow_code_change=true keeps it; force=true redoes it."""
    import json

    args = ["sweep_name=cv", "model=tiny", "logger=none", "regime=zero_shot", "data.n_eval=2",
            "targets=[arb_Arab]"]
    run_cli(args, tmp_path)
    [cond] = [p for p in (tmp_path / "cv").iterdir() if (p / "DONE").exists()]
    info = json.loads((cond / "condition.json").read_text())
    assert info["code_version"]["id"] == json.loads((tmp_path / "cv" / "sweep.json").read_text())["code"]["id"]
    info["code_version"] = _version("0" * 16)
    (cond / "condition.json").write_text(json.dumps(info))

    proc = run_cli(args, tmp_path, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "CodeChanged" in out and cond.name in out, out[-3000:]
    assert f"code {'0' * 16} (git aaaaaaaaaa)" in out and "Nothing was launched" in out
    kept = run_cli([*args, "allow_code_change=true"], tmp_path)
    assert "1 conditions, 1 already finished, 0 to run" in kept.stdout + kept.stderr
    run_cli([*args, "force=true"], tmp_path)
    assert json.loads((cond / "condition.json").read_text())["code_version"]["id"] != "0" * 16

"""A model's identity is what was loaded: fingerprints, model=hf, loadability checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xlt.errors import ConfigError
from xlt.models import checkpoint as C

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def twin_dir(tmp_path, tiny_model) -> Path:
    """A copy of the tiny twin's checkpoint folder (config.json + model.safetensors + tokenizer)."""
    from xlt.models.tiny import ensure_tiny

    src = ensure_tiny(tiny_model[2])
    dst = tmp_path / "my-ckpt"
    shutil.copytree(src, dst)
    return dst


def _rewrite_weights(folder: Path, scale: float) -> None:
    from safetensors.torch import load_file, save_file

    path = folder / "model.safetensors"
    state = load_file(path)
    name = sorted(state)[0]
    state[name] = state[name] * scale
    save_file(state, path, metadata={"format": "pt"})


def test_folder_fingerprint_follows_the_weights_not_the_path(twin_dir, tmp_path):
    fp = C.folder_fingerprint(twin_dir)
    other = shutil.copytree(twin_dir, tmp_path / "elsewhere")
    assert C.folder_fingerprint(other) == fp  # same weights in another folder: same identity
    _rewrite_weights(twin_dir, 1.5)
    assert C.folder_fingerprint(twin_dir) != fp  # weights rewritten in place: a new identity


def test_hf_preset_takes_name_arch_and_targets_from_the_checkpoint(compose, twin_dir):
    from xlt.conditions import condition_id
    from xlt.models.presets import model_stats
    from xlt.training.adapter import lora_targets

    cfg = compose(["model=hf", f"model.local_path={twin_dir}"])
    assert cfg.model.name == "hf-my_ckpt"  # "-" separates the parts of a condition id
    stats = model_stats(cfg.model)  # arch facts from config.json: the tiny twin's 2 layers, hidden 64
    assert (stats.num_layers, stats.hidden_size) == (2, 64)
    assert lora_targets(cfg.model) == "all-linear" and stats.trainable_params > 0
    first = condition_id(cfg)
    _rewrite_weights(twin_dir, 2.0)
    assert condition_id(cfg) != first  # another checkpoint under the same preset: another id


def test_a_preset_checked_against_the_checkpoint_it_loads(compose, twin_dir):
    cfg = compose(["model=tiny_llama"])
    config = {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 3}
    with pytest.raises(ConfigError, match="num_hidden_layers: preset 2, checkpoint 3"):
        C.check_against_preset(cfg.model, config)
    C.check_against_preset(cfg.model, {**config, "num_hidden_layers": 2})


def test_unloadable_checkpoints_are_refused_with_what_to_set(compose, tmp_path, twin_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="not a folder"):
        C.check_loadable(compose(["model=hf", f"model.local_path={tmp_path / 'nope'}"]).model)
    (twin_dir / "model.safetensors").rename(twin_dir / "pytorch_model.bin")
    with pytest.raises(ConfigError, match="pickled weights are refused"):
        C.check_loadable(compose(["model=hf", f"model.local_path={twin_dir}"]).model)
    with pytest.raises(ConfigError, match=r"not in the local Hugging Face cache.*HF_HUB_OFFLINE"):
        C.check_loadable(compose(["model=qwen3_4b"]).model)
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert C.resolve_checkpoint(compose(["model=qwen3_4b", f"model.revision={sha}"]).model).fingerprint \
        == f"hub:Qwen/Qwen3-4B@{sha}"


def test_a_changed_checkpoint_under_a_started_condition_is_refused(compose, twin_dir, tmp_path):
    from xlt.pipeline import run_condition

    overrides = ["model=hf", f"model.local_path={twin_dir}", "logger=none", "data.n_eval=2",
                 "targets=[arb_Arab]", f"output_root={tmp_path}"]
    run_dir = tmp_path / "cond"
    run_condition(compose(overrides), run_dir)
    assert (run_dir / "DONE").exists()
    _rewrite_weights(twin_dir, 3.0)
    with pytest.raises(ConfigError, match=r"checkpoint changed.*recorded local:\w+, now local:\w+"):
        run_condition(compose(overrides), run_dir)


def test_single_run_config_error_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "xlt.train", "model=hf", f"model.local_path={tmp_path}/none",
                           "logger=none", f"output_root={tmp_path}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2
    err = [line for line in proc.stderr.splitlines() if line.strip() and "Warning" not in line
           and "warn" not in line]
    assert err[-1].startswith("error: model.local_path") and "Traceback" not in proc.stderr

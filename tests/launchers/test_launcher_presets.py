"""conf/hydra/launcher presets compose with the root config and take resources from the model preset."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf


def _launcher(compose, *overrides: str) -> dict:
    cfg = compose(["hydra/launcher=slurm", *overrides], hydra_config=True)
    # Resolved as in the submitting process when Hydra instantiates the launcher.
    return cfg, OmegaConf.to_container(cfg.hydra.launcher, resolve=True)


def test_slurm_preset_takes_resources_from_model(compose, monkeypatch):
    monkeypatch.setenv("SLURM_CONF", "/tmp/xlt-test/slurm.conf")
    cfg, launcher = _launcher(compose)
    res = cfg.model.resources
    assert launcher["_target_"].endswith("xlt_launcher.XltSlurmLauncher")   # hydra-submitit-launcher's, subclassed
    assert launcher["freeze_code"] is True
    assert launcher["timeout_min"] == res.timeout_min
    assert launcher["nodes"] == res.nodes
    assert launcher["gpus_per_node"] == res.gpus_per_node
    assert launcher["cpus_per_task"] == res.cpus_per_task
    assert launcher["mem_gb"] == res.mem_gb
    assert launcher["tasks_per_node"] == cfg.trainer.devices   # one task per rank
    assert launcher["max_num_timeout"] == 3
    assert launcher["additional_parameters"] == {"requeue": True}
    assert launcher["array_parallelism"] == 8
    assert launcher["submitit_folder"].endswith("/.submitit/%j")
    assert any("/tmp/xlt-test/slurm.conf" in line for line in launcher["setup"])
    assert "export PYTHONUNBUFFERED=1" in launcher["setup"]


def test_slurm_preset_follows_overrides(compose):
    _, launcher = _launcher(compose, "model.resources.timeout_min=45", "model.resources.nodes=2",
                            "trainer.devices=4")
    assert (launcher["timeout_min"], launcher["nodes"], launcher["tasks_per_node"]) == (45, 2, 4)


def test_slurm_preset_without_slurm_conf(compose, monkeypatch):
    """No SLURM_CONF in the submitter: the setup line exports nothing (the cluster's default)."""
    monkeypatch.delenv("SLURM_CONF", raising=False)
    _, launcher = _launcher(compose)
    assert launcher["setup"][0].startswith("_c=''")
    assert launcher["partition"] is None


def test_launcher_instantiates(compose, tmp_path):
    """Hydra can build the launcher object from the preset (field names match SlurmQueueConf)."""
    from hydra.utils import instantiate

    cfg, _ = _launcher(compose, f"hydra.sweep.dir={tmp_path}")
    launcher = instantiate(cfg.hydra.launcher)
    # by name: Hydra's plugin scan executes plugin modules again, so class objects can differ between imports
    assert [c.__name__ for c in type(launcher).__mro__[:2]] == ["XltSlurmLauncher", "SlurmLauncher"]
    assert launcher.params["timeout_min"] == cfg.model.resources.timeout_min
    assert launcher.freeze_code and "freeze_code" not in launcher.params   # not a submitit parameter


@pytest.mark.parametrize("name, target", [("local", "BasicLauncher")])
def test_local_preset(compose, name, target):
    cfg = compose([f"hydra/launcher={name}"], hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith(target)

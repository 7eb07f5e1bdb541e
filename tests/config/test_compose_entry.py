"""xlt.config.compose: the one compose entry keeps Hydra's global state and expands sweeps like -m."""

from __future__ import annotations

from omegaconf import OmegaConf

from xlt.config.compose import CONF_DIR, compose, sweep_combinations


def test_compose_restores_a_running_hydra():
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):  # as inside @hydra.main
        assert compose(["model=tiny_llama"]).model.name == "tiny_llama"
        assert GlobalHydra.instance().is_initialized()
        assert hydra_compose("config", overrides=["model=tiny"]).model.name == "tiny"
    assert not GlobalHydra.instance().is_initialized()
    assert compose().model.name == "tiny" and not GlobalHydra.instance().is_initialized()


def test_compose_later_override_wins_and_hydra_node_on_request():
    cfg = compose(["regime=finetune", "regime=cot"])
    assert cfg.regime.name == "cot" and "hydra" not in cfg
    hydra = compose(return_hydra_config=True).hydra
    assert OmegaConf.to_container(hydra.sweep)["subdir"] == "${xlt_condition_id:}"
    assert hydra.runtime.choices.model == "tiny"


def test_sweep_combinations_like_multirun():
    assert sweep_combinations(["model=a,b", "seed=0", "lang=x,y"]) == [
        ["model=a", "seed=0", "lang=x"], ["model=a", "seed=0", "lang=y"],
        ["model=b", "seed=0", "lang=x"], ["model=b", "seed=0", "lang=y"]]
    assert sweep_combinations(["targets=[paper,tir_Ethi]"]) == [["targets=[paper,tir_Ethi]"]]
    assert sweep_combinations([]) == [[]]

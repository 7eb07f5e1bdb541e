"""train_only: training stops at the saved adapter; a later run of the same condition (e.g. the vLLM
job of launchers/vllm_ray_eval.sbatch) evaluates that adapter without training again."""

from __future__ import annotations


def test_train_only_then_evaluate_reuses_the_adapter(tmp_path, monkeypatch):
    from xlt.config.compose import compose
    from xlt.pipeline import run_condition

    base = ["model=tiny", "regime=finetune", "logger=none", "data.n_eval=2", "data.n_train=8",
            "targets=[arb_Arab]", "regime.epochs=1", f"output_root={tmp_path}"]
    run_dir = tmp_path / "cond"
    assert run_condition(compose([*base, "train_only=true"]), run_dir) == {}
    assert (run_dir / "adapter" / "TRAINED").exists() and not (run_dir / "DONE").exists()
    weights = (run_dir / "adapter" / "adapter_model.safetensors").read_bytes()

    import xlt.training.fit as fit

    def no_training(*a, **k):
        raise AssertionError("trained again")

    monkeypatch.setattr(fit, "finetune", no_training)
    assert run_condition(compose(base), run_dir)  # metrics, from the adapter on disk
    assert (run_dir / "DONE").exists()
    assert len((run_dir / "predictions.jsonl").read_text().splitlines()) == 2
    assert (run_dir / "adapter" / "adapter_model.safetensors").read_bytes() == weights

"""CPU memory plan before the first step, the guard that stops a run past its limit, progress lines."""

from __future__ import annotations

import logging

import pytest

from xlt.errors import ConfigError
from xlt.training.memory import GIB, StepPlan, plan_step, step_bytes


@pytest.fixture(scope="module")
def stats():
    from omegaconf import OmegaConf

    from xlt.models.presets import compose_model, model_stats

    return model_stats(compose_model("smollm2_135m"))


def test_estimate_grows_with_batch_and_length_and_shrinks_with_checkpointing(stats):
    base = step_bytes(stats, 4, 700, False, False)
    assert step_bytes(stats, 8, 700, False, False) > base and step_bytes(stats, 4, 1400, False, False) > base
    assert step_bytes(stats, 4, 700, True, False) < base and step_bytes(stats, 4, 700, False, True) < base
    # measured on this CPU path (SmolLM2-135M, 4 x ~690 tokens, fp32): 9.9 GiB peak RSS
    assert 8 * GIB < base < 13 * GIB


def test_plan_keeps_the_configured_step_when_it_fits(stats):
    plan = plan_step(stats, 8, 1, 700, False, False, limit=64 * GIB)
    assert (plan.micro_batch, plan.grad_accum, plan.gradient_checkpointing) == (8, 1, False)


def test_plan_splits_the_batch_then_checkpoints_keeping_the_effective_batch(stats):
    limit = step_bytes(stats, 2, 1024, False, False) / 0.85 + 1
    plan = plan_step(stats, 8, 1, 1024, False, False, limit=limit)
    assert (plan.micro_batch, plan.grad_accum, plan.gradient_checkpointing) == (2, 4, False)
    tight = step_bytes(stats, 2, 1024, True, False) / 0.85 + 1  # batch 1 without checkpointing is over it
    assert tight < step_bytes(stats, 1, 1024, False, False) / 0.85
    plan = plan_step(stats, 8, 2, 1024, False, False, limit=tight)
    assert plan.gradient_checkpointing and (plan.micro_batch, plan.grad_accum) == (2, 8)


def test_a_step_that_cannot_fit_stops_with_one_line(stats):
    with pytest.raises(ConfigError) as err:
        plan_step(stats, 8, 1, 1024, False, False, limit=1 * GIB)
    msg = str(err.value)
    assert "\n" not in msg and "needs about" in msg and "limit is" in msg and "gradient_checkpointing" in msg
    with pytest.raises(ConfigError):  # adapt_memory=false: no adapting, the same clear stop
        plan_step(stats, 8, 1, 1024, False, False, limit=step_bytes(stats, 2, 1024, False, False) / 0.85 + 1,
                  adapt=False)


def test_finetune_logs_its_plan_and_progress_and_the_guard_stops_a_run(learn_cfg, tmp_path, caplog, monkeypatch):
    from xlt.data.prompts import get_format
    from xlt.models.loading import load_tokenizer
    from xlt.scoring.labels import resolve_labels
    from xlt.training import fit
    from xlt.training.settings import TrainSettings
    from xlt.training.learnable import learnable_items

    cfg = learn_cfg("model=tiny", "regime.epochs=1", "regime.batch_size=4")
    tok = load_tokenizer(cfg.model)
    fmt = get_format("numbered")
    labels = resolve_labels(tok, fmt.labels)
    items = learnable_items(8)
    with caplog.at_level(logging.INFO):
        fit.finetune(TrainSettings.from_cfg(cfg), None, tok, items, fmt, labels, tmp_path / "ok")
    text = caplog.text
    assert "memory plan" in text and "micro-batch 4 x accumulation 1" in text
    assert "step 2/2 (100%)" in text and "s/step" in text and "left ~" in text
    assert "eval mode" not in text  # the model is in train mode before fit starts

    # A limit below what the process already uses: the guard interrupts and the error says what to do.
    monkeypatch.setattr(fit, "plan_memory", lambda cfg, n: StepPlan(4, 1, False, 0.0, 1.0 * 2**20))
    with pytest.raises(ConfigError, match="memory use passed"):
        fit.finetune(TrainSettings.from_cfg(cfg), None, tok, learnable_items(64, filler_words=100), fmt, labels, tmp_path / "oom")

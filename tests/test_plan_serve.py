"""xlt.plan_serve: served weight sizes against the published checkpoints, the TP/PP rule, the presets."""

from __future__ import annotations

import pytest

from xlt.models.presets import compose_model, model_stats
from xlt.plan_serve import plan_serving, served_weight_bytes, weight_format

PRESETS = ("qwen3_4b", "qwen3_32b", "gpt_oss_20b", "gpt_oss_120b", "llama33_70b", "deepseek_v31")


@pytest.fixture(scope="module")
def preset():
    cache = {}

    def get(name: str):
        if name not in cache:
            cfg = compose_model(name)
            cache[name] = (model_stats(cfg, r=16, alpha=32), cfg)
        return cache[name]

    return get


@pytest.mark.parametrize("name, fmt, published_gb", [
    ("gpt_oss_120b", "mxfp4", 65.3),    # the hub's safetensors (MXFP4 experts, bf16 rest)
    ("gpt_oss_20b", "mxfp4", 13.8),
    ("deepseek_v31", "fp8", 671 + 14),  # FP8 checkpoint incl. the 14B MTP layer this count leaves out
    ("qwen3_32b", "bf16", 65.5),
])
def test_served_sizes_are_near_the_published_checkpoints(preset, name, fmt, published_gb):
    stats, cfg = preset(name)
    assert weight_format(cfg) == fmt
    size_gb = served_weight_bytes(stats, fmt) / 1e9
    assert 0.85 * published_gb <= size_gb <= 1.05 * published_gb, size_gb


def test_load_time_quantization_overrides_the_checkpoint_format(preset):
    from omegaconf import OmegaConf

    stats, cfg = preset("qwen3_32b")
    fp8 = OmegaConf.merge(cfg, {"serve": {"quantization": "fp8"}})
    assert weight_format(fp8) == "fp8"
    assert served_weight_bytes(stats, "fp8") < 0.55 * served_weight_bytes(stats, "bf16")


def test_an_fp32_checkpoint_is_sized_at_four_bytes(preset):
    from omegaconf import OmegaConf

    stats, cfg = preset("qwen3_4b")
    fp32 = OmegaConf.merge(cfg, {"dtype": "float32", "serve": {"weights": None}})
    assert weight_format(fp32) == "fp32"
    assert served_weight_bytes(stats, "fp32") == pytest.approx(2 * served_weight_bytes(stats, "bf16"))


def test_smallest_shape_that_holds_weights_and_kv(preset):
    stats, cfg = preset("qwen3_4b")
    small = plan_serving(stats, cfg, 8, 80)
    assert (small.tensor_parallel, small.pipeline_parallel) == (1, 1)
    stats, cfg = preset("deepseek_v31")
    h100 = plan_serving(stats, cfg, 8, 80)
    assert (h100.tensor_parallel, h100.pipeline_parallel, h100.fits) == (8, 2, True)  # 627 GiB > one node
    h200 = plan_serving(stats, cfg, 8, 141)
    assert (h200.tensor_parallel, h200.pipeline_parallel) == (8, 1)  # one 8 x H200 node holds FP8 V3
    assert h100.per_gpu_weights_gib + h100.per_gpu_kv_gib <= 0.9 * 80 - 3
    tiny = plan_serving(stats, cfg, 8, 80, max_nodes=1)
    assert not tiny.fits


@pytest.mark.parametrize("name", PRESETS)
def test_presets_serve_blocks_follow_the_plan_on_8x80gb_nodes(preset, name):
    stats, cfg = preset(name)
    plan = plan_serving(stats, cfg, 8, 80)
    assert (cfg.serve.tensor_parallel_size, cfg.serve.pipeline_parallel_size) == \
        (plan.tensor_parallel, plan.pipeline_parallel), name


def test_cli_recommends_engine_and_parallelism(capsys):
    from xlt.plan import main

    report = main(["model=deepseek_v31", "cluster.gpus_per_node=8", "cluster.gpu_mem_gb=80"])
    assert "engine=vllm model.serve.tensor_parallel_size=8 model.serve.pipeline_parallel_size=2" in report
    assert "vllm_ray_eval.sbatch" in report and "fp8" in report
    report = main(["model=qwen3_32b", "cluster.gpus_per_node=8", "cluster.gpu_mem_gb=24"])
    assert "preset    model.serve is TP=2 x PP=1" in report  # the plan on 24 GB cards differs from the preset

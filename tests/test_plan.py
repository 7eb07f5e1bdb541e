"""xlt.plan: exact parameter counts and per-strategy cluster minimums checked against public figures."""

from __future__ import annotations

import pytest

from xlt.models.presets import compose_model, model_stats
from xlt.plan import MemoryPlan, Workload, main, min_cluster, plan_memory

GC = Workload(micro_batch=8, seq_len=1024, gradient_checkpointing=True)
NO_GC = Workload(micro_batch=8, seq_len=1024, gradient_checkpointing=False)


@pytest.fixture(scope="module")
def stats():
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = model_stats(compose_model(name), r=16, alpha=32)
        return cache[name]

    return get


def test_lora_counts(stats):
    # Llama-3.3-70B, r=16 on q,k,v,o,gate,up,down: the widely quoted 207M trainable parameters
    assert stats("llama33_70b").trainable_params == 207_093_760
    ds = stats("deepseek_v31")
    assert ds.total_params == 671_026_404_352
    assert ds.num_moe_layers == 58 and ds.merged_expert_params == 256 * 3 * 2048 * 7168


def test_qwen3_4b_fits_one_gpu_under_ddp(stats):
    plan = min_cluster(stats("qwen3_4b"), "ddp", NO_GC, gpus_per_node=8, gpu_mem_gb=80)
    assert plan is not None and plan.gpus == 1


def test_llama70b_needs_sharding_or_offload(stats):
    s = stats("llama33_70b")
    assert min_cluster(s, "ddp", GC, 8, 80) is None  # 141 GB of frozen bf16 weights per GPU
    z3 = min_cluster(s, "deepspeed_zero3", GC, 8, 80)
    assert z3 is not None and z3.gpus >= 2
    off = min_cluster(s, "deepspeed_zero3_offload", GC, 8, 80, cpu_mem_gb=1024)
    assert off is not None


def test_deepseek_zero3_near_public_figure(stats):
    # public: LoRA on DeepSeek-V3 with ZeRO-3 (HF path) on ~10 nodes x 8 x 80 GB
    plan = min_cluster(stats("deepseek_v31"), "deepspeed_zero3", GC, 8, 80)
    assert plan is not None and plan.nodes > 1
    assert 40 <= plan.gpus <= 160, plan.gpus
    assert min_cluster(stats("deepseek_v31"), "deepspeed_zero2", GC, 8, 80) is None


def test_plan_memory_arithmetic(stats):
    s = stats("qwen3_4b")
    p1 = plan_memory(s, "deepspeed_zero3", 1, 1, GC, 80)
    p8 = plan_memory(s, "deepspeed_zero3", 1, 8, GC, 80)
    assert isinstance(p1, MemoryPlan)
    assert p8.gpu_frozen == pytest.approx(p1.gpu_frozen / 8)  # sharded
    ddp = plan_memory(s, "ddp", 1, 8, GC, 80)
    assert ddp.gpu_frozen == pytest.approx(p1.gpu_frozen)  # replicated
    assert plan_memory(s, "ddp", 1, 1, NO_GC, 80).gpu_activations > ddp.gpu_activations
    with pytest.raises(ValueError):
        plan_memory(s, "fsdp", 1, 1, GC, 80)


def test_cli_prints_table(capsys):
    report = main(["model=qwen3_4b", "cluster.gpus_per_node=8", "cluster.gpu_mem_gb=80"])
    assert "4,022,468,096" in report and "deepspeed_zero3_offload" in report
    assert "strategy=ddp" in capsys.readouterr().out


def test_cpu_plan_for_the_configured_trainer():
    # no GPUs in the cluster preset: the CPU step of the configured regime, against the given memory
    report = main(["model=smollm2_135m", "cluster=local", "cluster.cpu_mem_gb=16", "regime.batch_size=8"])
    rows = {tuple(line.split()[:2]): line for line in report.splitlines() if line.startswith(("32-true", "bf16"))}
    assert "micro-batch 2 x accumulation 4" in rows[("32-true", "off")]  # 26 GiB at batch 8: split to fit
    assert "micro-batch 8 x accumulation 1" in rows[("bf16-mixed", "on")]
    assert "16.0 GiB usable" in report

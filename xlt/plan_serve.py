"""Evaluation on paper: the engine and the vLLM tensor/pipeline parallelism that serve a preset.

Part of ``python -m xlt.plan``. Weights are counted in the format vLLM loads (``model.serve.weights``:
the checkpoint's own, e.g. gpt-oss MXFP4 experts, DeepSeek-V3.1 FP8; or ``model.serve.quantization``),
not the bf16 copy LoRA training needs. The rule is vLLM's own guidance for distributed serving: the
smallest tensor-parallel size within one node whose shard leaves room for the KV cache; a model larger
than one node gets TP = GPUs per node and pipeline stages across nodes (multi-node needs a Ray cluster:
``launchers/vllm_ray_eval.sbatch``). Pure arithmetic, tested without vLLM or GPUs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xlt.models.presets import ModelStats

GIB = 2**30
# bytes per parameter of the weight formats vLLM loads; MXFP4: 4-bit values + one e8m0 scale per 32
WEIGHT_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp32": 4.0, "fp8": 1.0, "mxfp4": 4.25 / 8, "int4": 0.5}
# which parameters a format covers: fp8/int4 checkpoints quantize every linear layer; gpt-oss's MXFP4 only
# the routed experts (attention, embeddings and router stay bf16)
EXPERTS_ONLY = {"mxfp4"}
# the checkpoint's own format when the preset names none: vLLM serves the dtype it is given
DTYPE_FORMAT = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32", "bf16": "bf16", "fp16": "fp16",
                "fp32": "fp32"}


@dataclass(frozen=True)
class ServePlan:
    """How one preset is served for evaluation (GiB are per GPU)."""

    weights: str
    tensor_parallel: int
    pipeline_parallel: int
    weights_gib: float          # all weights, in the served format
    per_gpu_weights_gib: float
    per_gpu_kv_gib: float       # the KV cache the plan reserves per GPU (max_num_seqs x max tokens)
    fits: bool

    @property
    def gpus(self) -> int:
        return self.tensor_parallel * self.pipeline_parallel


def weight_format(model: Any) -> str:
    """The format vLLM holds the weights in: a load-time ``serve.quantization``, else the checkpoint's."""
    serve = model.serve
    if serve.quantization:
        return "fp8" if "fp8" in str(serve.quantization) else "int4"
    fmt = serve.weights or DTYPE_FORMAT.get(str(model.dtype), str(model.dtype))
    if fmt not in WEIGHT_BYTES:
        from xlt.errors import ConfigError

        raise ConfigError(f"model.serve.weights={fmt!r} is not a known format; valid: {', '.join(WEIGHT_BYTES)}")
    return fmt


def served_weight_bytes(stats: ModelStats, fmt: str) -> float:
    """Bytes of the base weights as vLLM holds them (LoRA adapters are small and served beside them)."""
    expert = stats.merged_expert_params * stats.num_moe_layers  # the fused routed-expert tensors
    embed = 2 * stats.vocab_size * stats.hidden_size            # embedding + LM head stay unquantized
    quantized = expert if fmt in EXPERTS_ONLY else max(stats.total_params - embed, 0)
    rest = 4.0 if fmt == "fp32" else 2.0                        # unquantized tensors: fp32 or 16-bit
    return quantized * WEIGHT_BYTES[fmt] + (stats.total_params - quantized) * rest


def kv_bytes_per_token(arch: Any, num_layers: int) -> float:
    """bf16 KV cache per token: 2 x kv heads x head dim per layer, or MLA's compressed latent + rope key."""
    if arch is None:
        return 0.0
    get = arch.get if hasattr(arch, "get") else lambda k, d=None: getattr(arch, k, d)
    if get("kv_lora_rank"):
        return num_layers * (get("kv_lora_rank") + get("qk_rope_head_dim", 64)) * 2.0
    heads = get("num_attention_heads") or 1
    head_dim = get("head_dim") or (get("hidden_size") or 0) // heads
    return num_layers * 2 * (get("num_key_value_heads") or heads) * head_dim * 2.0


def plan_serving(stats: ModelStats, model: Any, gpus_per_node: int, gpu_mem_gb: float, max_nodes: int = 64,
                 max_num_seqs: int = 64, seq_tokens: int = 2048, usable_fraction: float = 0.9,
                 overhead_gb: float = 3.0) -> ServePlan:
    """The smallest TP (powers of two within a node) then PP (whole nodes) that holds the weights plus a
    KV cache for ``max_num_seqs`` sequences of ``seq_tokens`` (Belebele prompt + CoT), per GPU."""
    fmt = weight_format(model)
    weights = served_weight_bytes(stats, fmt)
    kv = max_num_seqs * seq_tokens * kv_bytes_per_token(model.arch, stats.num_layers)
    cap = usable_fraction * gpu_mem_gb * GIB - overhead_gb * GIB
    shapes = [(tp, 1) for tp in (1, 2, 4, 8, 16) if tp <= gpus_per_node]
    shapes += [(gpus_per_node, pp) for pp in range(2, max_nodes + 1)]
    # the first shape that holds it, else the largest allowed (reported as not fitting)
    tp, pp = next(((t, p) for t, p in shapes if (weights + kv) / (t * p) <= cap), shapes[-1])
    n = tp * pp
    return ServePlan(fmt, tp, pp, weights / GIB, weights / n / GIB, kv / n / GIB, (weights + kv) / n <= cap)


def serve_overrides(plan: ServePlan) -> str:
    """The overrides that evaluate with ``plan`` (single node: the same SLURM job that trained)."""
    line = (f"engine=vllm model.serve.tensor_parallel_size={plan.tensor_parallel} "
            f"model.serve.pipeline_parallel_size={plan.pipeline_parallel}")
    if plan.pipeline_parallel > 1:
        line += f"  (multi-node: {plan.pipeline_parallel} nodes under Ray, launchers/vllm_ray_eval.sbatch)"
    return line


def render_serving(plan: ServePlan, model: Any) -> str:
    """Report lines for ``xlt.plan``: the served size, the shape, and how it compares to the preset."""
    serve = model.serve
    state = "fits" if plan.fits else "does NOT fit within plan.max_nodes"
    lines = [
        "",
        "evaluation (engine=vllm: label log-probs via logprob_token_ids, batched greedy CoT, "
        "the adapter via LoRARequest)",
        f"  weights   {plan.weights_gib:,.1f} GiB as served ({plan.weights}; training needs the bf16 copy)",
        f"  shape     TP={plan.tensor_parallel} x PP={plan.pipeline_parallel} = {plan.gpus} GPUs: "
        f"{plan.per_gpu_weights_gib:,.1f} GiB weights + {plan.per_gpu_kv_gib:,.1f} GiB KV per GPU ({state})",
        f"  launch    {serve_overrides(plan)}",
    ]
    if (serve.tensor_parallel_size, serve.pipeline_parallel_size) != (plan.tensor_parallel, plan.pipeline_parallel):
        lines.append(f"  preset    model.serve is TP={serve.tensor_parallel_size} x PP={serve.pipeline_parallel_size}: "
                     "override it as above on this cluster")
    return "\n".join(lines)


"""Scale on paper: ``python -m xlt.plan model=deepseek_v31 cluster.gpus_per_node=8 cluster.gpu_mem_gb=80``.

Training memory per strategy here; evaluation (engine, vLLM tensor/pipeline parallelism) in ``xlt.plan_serve``.

Counts the preset's parameters exactly on the meta device (no weights downloaded), then estimates
per-GPU and per-node host memory of LoRA training under each strategy and finds the smallest cluster
that fits. The arithmetic lives in pure functions (``plan_memory``, ``min_cluster``) that tests call
without Hydra. The config is the root config (``xlt.config.compose``; regime ``finetune`` unless the
command line names one), the planner's knobs its ``plan`` node (``plan.max_nodes=16``, ...).

LoRA accounting. DeepSpeed's estimators assume full fine-tuning (every parameter has bf16 weights,
grads and fp32 Adam states: 18 bytes/param). Under LoRA the base is frozen: it needs only its bf16
weights (2 bytes/param) and no grads or optimizer states. So the frozen part is computed here
(replicated for DDP/ZeRO-2, sharded for ZeRO-3, on host for ZeRO-3 offload, plus the largest module
gathered whole by ZeRO-3), and DeepSpeed's estimator is applied to the trainable LoRA part only.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from xlt.models.presets import ModelStats

GIB = 2**30
STRATEGIES = ("ddp", "deepspeed_zero2", "deepspeed_zero3", "deepspeed_zero3_offload")
LOGIT_BYTES = 10  # bf16 logits + fp32 upcast in the loss + its grad, per (token, vocab) element
ANSWER_TOKENS = 2  # label tokens per example (a lead token such as a space, then the label)
PROCESS_HOST_GIB = 4.0  # python + torch + CUDA libraries per rank


@dataclass(frozen=True)
class Workload:
    """What one GPU processes per step: micro-batch x tokens, with or without activation checkpointing."""

    micro_batch: int
    seq_len: int
    gradient_checkpointing: bool


@dataclass(frozen=True)
class MemoryPlan:
    """Memory of one strategy on one cluster shape (GiB). ``gpu_total`` includes a fixed overhead."""

    strategy: str
    nodes: int
    gpus_per_node: int
    gradient_checkpointing: bool
    gpu_frozen: float  # bf16 base weights resident on the GPU
    gpu_gathered: float  # ZeRO-3: largest module gathered whole for its forward/backward
    gpu_lora: float  # LoRA weights, grads and Adam states (DeepSpeed estimator where it applies)
    gpu_activations: float  # activations + logits for the micro-batch
    gpu_merged: float  # peft target_parameters: W + BA materialised per targeted expert block
    gpu_overhead: float  # CUDA context, NCCL, allocator slack
    gpu_total: float
    host_per_node: float  # peak host RAM per node while loading / training
    host_save_full_gather: float  # rank-0 node if the full 16-bit model is gathered at save time
    fits_gpu: bool
    fits_host: bool

    @property
    def gpus(self) -> int:
        return self.nodes * self.gpus_per_node


def activation_gib(stats: ModelStats, work: Workload) -> tuple[float, float]:
    """(activations incl. logits, retained merged expert copies) per GPU in GiB."""
    tokens = work.micro_batch * work.seq_len
    # answer-only loss (xlt.training.module): logits at the union of the rows' answer positions only
    logits = work.micro_batch * min(work.seq_len, work.micro_batch * ANSWER_TOKENS) * stats.vocab_size * LOGIT_BYTES
    merged_one = 2 * stats.merged_expert_params  # bf16 copy of one MoE layer's targeted expert tensors
    if work.gradient_checkpointing:
        # keep each layer's input; recompute one layer at a time during backward
        acts = tokens * stats.num_layers * stats.hidden_size * 2 + tokens * stats.act_width * 2
        merged = merged_one
    else:
        acts = tokens * stats.num_layers * stats.act_width * 2
        merged = merged_one * stats.num_moe_layers  # autograd keeps every layer's merged weight
    return (acts + logits) / GIB, merged / GIB


def plan_memory(
    stats: ModelStats,
    strategy: str,
    nodes: int,
    gpus_per_node: int,
    work: Workload,
    gpu_mem_gb: float,
    cpu_mem_gb: float | None = None,
    overhead_gb: float = 3.0,
    usable_fraction: float = 0.95,
    shard_gb: float = 5.0,
) -> MemoryPlan:
    """Estimate per-GPU and per-node host memory of LoRA training for one strategy and cluster shape."""
    from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
    from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs

    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; valid: {', '.join(STRATEGIES)}")
    world = nodes * gpus_per_node
    trainable = stats.trainable_params
    frozen = stats.total_params - trainable
    gathered = 0.0
    host_states = 0.0
    if strategy == "ddp":
        gpu_frozen = 2 * frozen
        gpu_lora = 16 * trainable  # fp32 LoRA weights + grads + Adam m, v; replicated
    elif strategy == "deepspeed_zero2":
        gpu_frozen = 2 * frozen  # frozen weights are replicated under ZeRO-1/2
        cpu, gpu_lora = estimate_zero2_model_states_mem_needs(
            trainable, gpus_per_node, nodes, cpu_offload=False, additional_buffer_factor=1.5
        )
        host_states = cpu
    else:
        offload = strategy == "deepspeed_zero3_offload"
        # frozen weights: sharded across all GPUs, or (offload) pinned on the host of each node
        gpu_frozen = 0 if offload else 2 * frozen / world
        if offload:
            host_states += 2 * frozen / nodes * 1.5  # DeepSpeed's additional_buffer_factor
        gathered = 2 * stats.largest_layer_params  # gathered whole in bf16, no grads (frozen)
        cpu, gpu, _ = estimate_zero3_model_states_mem_needs(
            trainable,
            stats.largest_trainable_layer_params,
            gpus_per_node,
            nodes,
            cpu_offload=offload,
            cpu_offload_params=offload,
            zero_init=True,
            additional_buffer_factor=1.5,
        )
        gpu_lora, host_states = gpu, host_states + cpu
    acts, merged = activation_gib(stats, work)
    gpu_total = (gpu_frozen + gathered + gpu_lora) / GIB + acts + merged + overhead_gb
    # host: each rank streams checkpoint shards while loading (HfDeepSpeedConfig under ZeRO-3, so no
    # rank holds the whole checkpoint), plus offloaded states, plus gathering the LoRA adapter at save.
    load = gpus_per_node * (PROCESS_HOST_GIB + shard_gb) * GIB
    host = load + host_states + 6 * trainable  # adapter save: bf16 gather + fp32 copy on rank 0
    fits_host = cpu_mem_gb is None or cpu_mem_gb <= 0 or host / GIB <= cpu_mem_gb
    return MemoryPlan(
        strategy=strategy,
        nodes=nodes,
        gpus_per_node=gpus_per_node,
        gradient_checkpointing=work.gradient_checkpointing,
        gpu_frozen=gpu_frozen / GIB,
        gpu_gathered=gathered / GIB,
        gpu_lora=gpu_lora / GIB,
        gpu_activations=acts,
        gpu_merged=merged,
        gpu_overhead=overhead_gb,
        gpu_total=gpu_total,
        host_per_node=host / GIB,
        host_save_full_gather=(host + 2 * stats.total_params) / GIB,
        fits_gpu=gpu_total <= usable_fraction * gpu_mem_gb,
        fits_host=fits_host,
    )


def cluster_shapes(gpus_per_node: int, max_nodes: int) -> list[tuple[int, int]]:
    """Candidate (nodes, gpus_per_node) by GPU count: 1, 2, 4 ... on one node, then whole nodes."""
    shapes, g = [], 1
    while g < gpus_per_node:
        shapes.append((1, g))
        g *= 2
    shapes += [(n, gpus_per_node) for n in range(1, max_nodes + 1)]
    return shapes


def min_cluster(
    stats: ModelStats, strategy: str, work: Workload, gpus_per_node: int, gpu_mem_gb: float, max_nodes: int = 64,
    **kwargs: Any,
) -> MemoryPlan | None:
    """Smallest cluster shape on which ``strategy`` fits GPU memory and host RAM (``cpu_mem_gb``)."""
    shapes = cluster_shapes(gpus_per_node, max_nodes)
    if strategy == "ddp":  # DDP replicates everything: more GPUs never lower per-GPU memory
        shapes = shapes[:1]
    for nodes, gpn in shapes:
        plan = plan_memory(stats, strategy, nodes, gpn, work, gpu_mem_gb, **kwargs)
        if plan.fits_gpu and plan.fits_host:
            return plan
    return None


def launch_overrides(plan: MemoryPlan, model: str) -> str:
    """The command-line overrides that run ``plan`` (submitit SLURM launcher, one task per GPU)."""
    parts = [
        f"model={model}",
        f"strategy={plan.strategy}",
        f"model.resources.nodes={plan.nodes}",
        f"model.resources.gpus_per_node={plan.gpus_per_node}",
        "trainer=gpu",
        "hydra/launcher=submitit_slurm",
        f"hydra.launcher.nodes={plan.nodes}",
        f"hydra.launcher.tasks_per_node={plan.gpus_per_node}",
        f"hydra.launcher.gpus_per_node={plan.gpus_per_node}",
    ]
    if plan.gradient_checkpointing:
        parts.append("regime.gradient_checkpointing=true")
    return " ".join(parts)


def _b(n: float) -> str:
    return f"{n / 1e9:,.2f} B"


def render(stats: ModelStats, cfg: Any, plans: dict[tuple[str, bool], MemoryPlan | None]) -> str:
    """Readable report: parameters, per-strategy minimum clusters with a memory breakdown, launch line."""
    m, reg, cl = cfg.model, cfg.regime, cfg.cluster
    lines = [
        f"model      {m.name} ({m.get('hub_id') or m.get('local_path')}), {_model_type(m)}, dtype {m.dtype}",
        f"regime     {reg.name}: LoRA r={reg.lora.r} alpha={reg.lora.alpha}, micro-batch {reg.batch_size} x "
        f"{reg.max_length} tokens per GPU",
        f"cluster    {cl.gpus_per_node} x {cl.gpu_mem_gb} GiB GPUs per node, {_host_limit(cfg):g} GiB host RAM per node",
        f"params     total {stats.total_params:,} ({_b(stats.total_params)}); LoRA trainable "
        f"{stats.trainable_params:,} ({_b(stats.trainable_params)}, "
        f"{100 * stats.trainable_params / stats.total_params:.3f} %)",
        f"modules    largest {_b(stats.largest_layer_params)} (ZeRO-3 gathers it whole); peft merged expert "
        f"copy {_b(stats.merged_expert_params)} per MoE layer x {stats.num_moe_layers} layers",
        "",
        "smallest cluster per strategy (GiB per GPU; host GiB per node)",
        f"{'strategy':<24}{'ckpt':<5}{'cluster':>9}{'GPUs':>6}{'frozen':>8}{'gather':>8}{'lora':>7}{'acts':>7}"
        f"{'merged':>8}{'total':>8}{'host':>8}{'host@save-full':>16}",
    ]
    for (strategy, gc), p in plans.items():
        ck = "on" if gc else "off"
        if p is None:
            lines.append(f"{strategy:<24}{ck:<5}{'does not fit':>15}")
            continue
        host = f"{p.host_per_node:,.0f}" + ("" if p.fits_host else "!")
        lines.append(
            f"{strategy:<24}{ck:<5}{f'{p.nodes}x{p.gpus_per_node}':>9}{p.gpus:>6}{p.gpu_frozen:>8.1f}"
            f"{p.gpu_gathered:>8.1f}{p.gpu_lora:>7.1f}{p.gpu_activations:>7.1f}{p.gpu_merged:>8.1f}"
            f"{p.gpu_total:>8.1f}{host:>8}{p.host_save_full_gather:>16,.0f}"
        )
    lines += ["(host@save-full: rank-0 node if the whole 16-bit model is gathered at save; save the adapter only)", ""]
    lines.append(f"launch settings (preset default: {m.strategy}; one SLURM task per GPU)")
    for strategy in STRATEGIES:  # fewest GPUs, then without checkpointing (faster)
        options = [p for (s, _), p in plans.items() if s == strategy and p is not None]
        if not options:
            lines.append(f"  {strategy:<24} does not fit on <= {cfg.plan.max_nodes} nodes")
            continue
        p = min(options, key=lambda p: (p.gpus, p.gradient_checkpointing))
        lines.append(
            f"  {strategy:<24} nodes={p.nodes} tasks_per_node={p.gpus_per_node}"
            + (" gradient_checkpointing" if p.gradient_checkpointing else "")
            + f"\n    {launch_overrides(p, str(m.name))}"
        )
    return "\n".join(lines)


def _model_type(m: Any) -> str:
    return str(m.arch.model_type) if m.arch else "config.json"


def render_cpu(stats: ModelStats, cfg: Any) -> str:
    """CPU training (``trainer=cpu``): the configured step's estimated peak memory on this machine and
    the plan training will run (``xlt.training.memory``), for fp32 and bf16 autocast."""
    from xlt.errors import ConfigError
    from xlt.training.memory import GIB as _GIB
    from xlt.training.memory import available_bytes, plan_step, step_bytes

    reg = cfg.regime
    limit = float(cfg.cluster.cpu_mem_gb) * _GIB if cfg.cluster.cpu_mem_gb else available_bytes()
    batch, length, gc = reg.batch_size, reg.max_length, reg.gradient_checkpointing
    lines = [f"model      {cfg.model.name}, {_model_type(cfg.model)}: {stats.total_params:,} params, "
             f"{stats.trainable_params:,} LoRA (r={reg.lora.r})",
             f"CPU        {limit / _GIB:.1f} GiB usable by training; step: batch {batch} x {length} tokens",
             f"{'precision':<12}{'ckpt':<6}{'estimate GiB':>13}   plan"]
    for bf16 in (False, True):
        for ckpt in dict.fromkeys([gc, True]):
            est = step_bytes(stats, batch, length, ckpt, bf16) / _GIB
            try:
                plan = plan_step(stats, batch, reg.grad_accum, length, ckpt, bf16, limit).describe()
            except ConfigError as err:
                plan = f"does not fit: {err}"
            lines.append(f"{'bf16-mixed' if bf16 else '32-true':<12}{'on' if ckpt else 'off':<6}{est:>13.1f}   {plan}")
    return "\n".join(lines)


PLAN_OVERRIDES = ["regime=finetune"]  # plan a training run unless the command line names another regime


def _host_limit(cfg: Any) -> float:
    return float(cfg.plan.host_mem_gb)  # schema default: 1 TiB (a GPU node, not the dev box)


def main(argv: list[str] | None = None) -> str:
    """CLI entry point: Hydra-style ``key=value`` overrides; prints and returns the report."""
    from xlt.config.compose import compose
    from xlt.models.presets import model_stats

    cfg = compose([*PLAN_OVERRIDES, *(sys.argv[1:] if argv is None else argv)])
    stats = model_stats(cfg.model, r=cfg.regime.lora.r, alpha=cfg.regime.lora.alpha)
    if int(cfg.cluster.gpus_per_node) <= 0 or float(cfg.cluster.gpu_mem_gb) <= 0:
        report = render_cpu(stats, cfg)  # no GPUs in the cluster preset: plan the CPU trainer here
        report += ("\nevaluation: on 2 CPU cores with SmolLM2-135M (bench/engine_compare.py) engine=vllm generated "
                   "CoT 3.3x faster than engine=hf, but scored labels at 0.72-0.98x of it: keep engine=hf for "
                   "zero_shot/finetune scoring here, engine=vllm for cot")
        print(report)
        return report
    knobs = {k: cfg.plan[k] for k in ("overhead_gb", "usable_fraction", "shard_gb")}
    plans: dict[tuple[str, bool], MemoryPlan | None] = {}
    for strategy in STRATEGIES:
        for gc in (False, True):
            work = Workload(cfg.regime.batch_size, cfg.regime.max_length, gc)
            plans[(strategy, gc)] = min_cluster(
                stats, strategy, work, int(cfg.cluster.gpus_per_node), float(cfg.cluster.gpu_mem_gb),
                max_nodes=int(cfg.plan.max_nodes), cpu_mem_gb=_host_limit(cfg), **knobs,
            )
    report = render(stats, cfg, plans)
    from xlt.plan_serve import plan_serving, render_serving

    serving = plan_serving(stats, cfg.model, int(cfg.cluster.gpus_per_node), float(cfg.cluster.gpu_mem_gb),
                           max_nodes=int(cfg.plan.max_nodes), max_num_seqs=int(cfg.engine.max_num_seqs or 64))
    report += "\n" + render_serving(serving, cfg.model)
    print(report)
    return report


if __name__ == "__main__":
    main()

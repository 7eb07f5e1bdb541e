"""The typed schema of xlt's config: one dataclass per group, registered in Hydra's ConfigStore.

``conf/config.yaml`` extends ``xlt_schema`` first, so Hydra checks every group's keys, types and enums
while composing (an unknown key or a wrong type fails there, naming the key). Every field also says
whether it changes a condition's results (``affects``), which is the one place the condition id, the
store's identity record and the report's grouping keys come from (``xlt.config.identity``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


class Affects(StrEnum):
    """How a config key relates to a condition's results."""

    RESULTS = "results"    # always part of the identity
    TRAINING = "training"  # part of the identity only when the regime trains
    COT = "cot"            # part of the identity only when the regime generates (CoT)
    WEIGHTS = "weights"    # where the weights come from: enters as the checkpoint fingerprint instead
    NONE = "none"          # how or where a condition runs (speed, resources, logging, paths)


def _f(default: Any, affects: "Affects", *, ge: float | None = None, gt: float | None = None,
       le: float | None = None, choices: tuple = (), factory: Any = None, since: bool = False) -> Any:
    """A schema field with its identity class and optional range or choices (``check_values``).

    ``since``: a field added after conditions ran whose default is what they did: it enters the
    identity only when set to something else, so the ids of finished conditions stay valid."""
    meta = {"affects": affects, "ge": ge, "gt": gt, "le": le, "choices": choices, "since": since}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


R, T, C, W, N = Affects.RESULTS, Affects.TRAINING, Affects.COT, Affects.WEIGHTS, Affects.NONE


class EngineName(StrEnum):
    hf = "hf"      # transformers (+ peft): xlt's own batched scoring and generate()
    vllm = "vllm"  # vLLM's offline LLM: paged attention, TP/PP, LoRARequest, native FP8/MXFP4


class TaskName(StrEnum):
    belebele = "belebele"
    sib200 = "sib200"


class TrainFrom(StrEnum):
    heldin = "heldin"  # held-in items of the evaluated set (the paper's design)
    own = "own"        # the task's own train split


class DataSource(StrEnum):
    fixtures = "fixtures"
    local = "local"
    hub = "hub"


class SplitKind(StrEnum):
    paper = "paper"
    passage = "passage"
    kfold = "kfold"


class Subset(StrEnum):
    random = "random"
    stratified = "stratified"


class LeakMode(StrEnum):
    report = "report"
    drop = "drop"


class PromptName(StrEnum):
    numbered = "numbered"
    lettered = "lettered"


@dataclass
class TaskConf:
    """conf/task/<name>.yaml: what an item is and where it comes from (``xlt.data.tasks.Task``)."""

    name: TaskName = _f(MISSING, R)
    n_labels: int = _f(MISSING, R, ge=2)
    train_from: TrainFrom = _f(TrainFrom.heldin, T)
    source: Optional[DataSource] = _f(None, R)
    dir: Optional[str] = _f(None, R)
    hub_id: Optional[str] = _f(None, R)
    revision: Optional[str] = _f(None, R)
    eval_split: Optional[str] = _f(None, R)
    train_split: Optional[str] = _f(None, T)
    answer_names: bool = _f(False, C)


@dataclass
class ChatConf:
    """A model family's chat/reasoning format (``xlt.chat.formats``)."""

    family: Optional[str] = _f(None, R)    # null: detected from the tokenizer / arch.model_type
    thinking: bool = _f(True, R)           # families with a thinking mode use it unless told
    reasoning_effort: Optional[str] = _f(None, R)
    date: Optional[str] = _f(None, R)
    reference_template: bool = _f(False, R)


@dataclass
class ResourcesConf:
    """What one condition of this model asks a cluster for."""

    nodes: int = _f(1, N, ge=1)
    gpus_per_node: int = _f(0, N, ge=0)
    cpus_per_task: int = _f(1, N, ge=1)
    mem_gb: int = _f(4, N, ge=1)
    timeout_min: int = _f(60, N, ge=1)


@dataclass
class ServeConf:
    """How the vLLM engine serves this preset (``engine=vllm``; the hf engine ignores it)."""

    tensor_parallel_size: int = _f(1, N, ge=1)
    pipeline_parallel_size: int = _f(1, N, ge=1)
    # null: what the checkpoint declares (gpt-oss MXFP4, DeepSeek-V3.1 FP8 load natively); a method
    # vLLM applies on load (e.g. fp8) changes the weights evaluated.
    quantization: Optional[str] = _f(None, R, since=True)
    max_model_len: Optional[int] = _f(None, N, ge=1)   # null: the model's; a longer prompt is refused
    dtype: Optional[str] = _f(None, N)                 # null: the preset's dtype
    # the checkpoint's weight format as vLLM loads it, for xlt.plan (bf16 | fp8 | mxfp4 ...; null: dtype)
    weights: Optional[str] = _f(None, N)
    # true: vLLM loads hub_id@revision (the checkpoint's own FP8/MXFP4 weights) even where local_path
    # holds the bf16 copy training needs; the weights evaluated differ from the trained base, so it is
    # part of the id when on
    from_hub: bool = _f(False, R, since=True)


@dataclass
class ModelConf:
    """conf/model/<preset>.yaml: a checkpoint, its architecture facts and how it is prompted."""

    name: str = _f(MISSING, R)
    hub_id: Optional[str] = _f(None, W)
    revision: Optional[str] = _f(None, W)
    local_path: Optional[str] = _f(None, W)
    gguf: Optional[Dict[str, str]] = _f(None, W)
    weights_note: Optional[str] = _f(None, N)
    tiny: bool = _f(False, R)
    init_seed: int = _f(0, R)                       # tiny twins: the random init
    arch: Optional[Dict[str, Any]] = _f(None, R)
    dtype: str = _f("float32", R)
    chat_template: Any = _f(False, R)               # true | false | auto | a template string
    chat: Optional[ChatConf] = _f(None, R)
    trust_remote_code: bool = _f(False, R)
    trust_remote_code_reason: Optional[str] = _f(None, N)
    lora_targets: Optional[List[str]] = _f(None, T)
    lora_target_parameters: List[str] = _f(None, T, factory=list)
    strategy: str = _f("cpu", N)             # the strategy preset `strategy=preset` picks
    resources: ResourcesConf = _f(None, N, factory=ResourcesConf)
    serve: ServeConf = _f(None, R, factory=ServeConf)   # R: look inside (quantization)


@dataclass
class LangConf:
    """conf/lang/<code>.yaml: a fine-tuning source (one variant or a group)."""

    name: str = _f(MISSING, R)
    variants: List[str] = _f(None, R, factory=list)


@dataclass
class LoraConf:
    r: int = _f(16, R, ge=1)
    alpha: int = _f(32, R, ge=1)
    dropout: float = _f(0.05, R, ge=0.0, le=1.0)


@dataclass
class RegimeConf:
    """conf/regime/<name>.yaml (+ conf/hparams/lora.yaml): what a condition does to the model."""

    name: str = _f(MISSING, R)
    train: bool = _f(False, R)
    cot: bool = _f(False, R)
    format_only: bool = _f(False, T)
    cot_max_new_tokens: int = _f(256, C, ge=1)
    cot_max_items: Optional[int] = _f(None, C, ge=1)
    lora: LoraConf = _f(None, T, factory=LoraConf)
    lr: float = _f(2e-4, T, gt=0)
    weight_decay: float = _f(0.0, T, ge=0)
    warmup_ratio: float = _f(0.03, T, ge=0, le=1)
    epochs: int = _f(2, T, gt=0)
    batch_size: int = _f(8, T, gt=0)
    grad_accum: int = _f(1, T, ge=1)
    max_length: int = _f(1024, T, ge=8)
    gradient_checkpointing: bool = _f(False, T)   # recomputes activations: same gradients to float noise
    bucket_by_length: bool = _f(True, T)          # changes which items share a batch
    ckpt_every_n_steps: int = _f(50, N, ge=1)     # how often to save, not what is learned
    adapt_memory: bool = _f(True, N)              # keeps the effective batch: how a step runs, not what


@dataclass
class DataConf:
    """conf/data/<name>.yaml: where evaluation items come from and how splits are drawn."""

    source: DataSource = _f(DataSource.fixtures, R)
    dir: Optional[str] = _f(None, R)
    hub_id: str = _f("facebook/belebele", R)
    revision: Optional[str] = _f(None, R)
    split: SplitKind = _f(SplitKind.passage, R)
    n_eval: int = _f(12, R, ge=1)
    n_train: Optional[int] = _f(None, T, ge=1)
    split_seed: int = _f(0, R)
    n_folds: int = _f(5, R, ge=2)
    fold: int = _f(0, R, ge=0)
    subset: Subset = _f(Subset.random, R)
    leak: LeakMode = _f(LeakMode.report, T)       # trained conditions only: what overlaps training
    prompt: PromptName = _f(PromptName.numbered, R)
    eval_batch_size: int = _f(8, N, ge=1)         # batching changes speed, not results (tested to 1e-4)
    prefix_reuse: Any = _f(True, N, choices=(True, False, "auto", "packed", "cache", "off"))  # exact (tested)


@dataclass
class TrainerConf:
    """conf/trainer/<name>.yaml: Lightning Trainer arguments."""

    accelerator: str = _f("cpu", N)
    # Each rank takes every world-th batch (xlt.training.loader): the world size sets the effective batch.
    devices: Any = _f(1, T)                       # int, "auto" or an interpolation
    num_nodes: Any = _f(1, T)
    precision: str = _f("32-true", T)             # bf16-mixed changes the learned adapter
    log_every_n_steps: int = _f(1, N, ge=1)
    enable_progress_bar: bool = _f(True, N)
    gradient_clip_val: float = _f(1.0, T, ge=0)


@dataclass
class StrategyConf:
    """conf/strategy/<name>.yaml: distribution strategy (``xlt.training.strategies``)."""

    name: str = _f("auto", N)
    backend: Optional[str] = _f(None, N)
    find_unused_parameters: bool = _f(False, N)
    stage: int = _f(0, N, ge=0, le=3)
    offload_optimizer: bool = _f(False, N)
    offload_params: bool = _f(False, N)
    pin_memory: bool = _f(True, N)
    bucket_size: int = _f(500_000_000, N, ge=1)
    param_persistence_threshold: int = _f(1_000_000, N, ge=0)
    overlap_comm: bool = _f(True, N)
    exclude_frozen_parameters: bool = _f(True, N)
    optimizer: str = _f("adamw", N)


@dataclass
class EngineConf:
    """conf/engine/<name>.yaml: what scores and generates (``xlt.engines``). Label scores agree across
    engines within float noise (measured, README "Engines"), so the engine is not part of a scoring
    condition's id; greedy CoT texts can diverge at near-ties, so it is part of a CoT condition's id."""

    name: EngineName = _f(EngineName.hf, C, since=True)
    gpu_memory_utilization: float = _f(0.9, N, gt=0, le=1)  # GPU: fraction of device memory vLLM takes
    kv_cache_gb: Optional[float] = _f(None, N, gt=0)        # CPU: KV-cache size (null: 1 GiB)
    max_num_seqs: Optional[int] = _f(None, N, ge=1)         # concurrent sequences (null: vLLM's)
    enforce_eager: Optional[bool] = _f(None, N)             # no compilation/CUDA graphs (null: eager on CPU only)
    max_lora_rank: Optional[int] = _f(None, N, ge=1)        # null: from the adapter's config
    in_process: Optional[bool] = _f(None, N)                # engine core in this process (null: on CPU)
    # multi-node (PP across nodes): "ray" on a Ray cluster (launchers/vllm_ray_eval.sbatch); null: vLLM's
    distributed_executor_backend: Optional[str] = _f(None, N)


@dataclass
class LoggerConf:
    name: str = _f("none", N)
    mode: str = _f("offline", N)
    project: str = _f("xlt", N)
    entity: Optional[str] = _f(None, N)


@dataclass
class ClusterConf:
    name: str = _f("local", N)
    gpus_per_node: int = _f(0, N, ge=0)
    gpu_mem_gb: int = _f(0, N, ge=0)
    cpu_mem_gb: int = _f(24, N, ge=1)
    partition: Optional[str] = _f(None, N)
    account: Optional[str] = _f(None, N)
    qos: Optional[str] = _f(None, N)


@dataclass
class PlanConf:
    """Knobs of the memory planner (``python -m xlt.plan``)."""

    max_nodes: int = _f(64, N, ge=1)
    overhead_gb: float = _f(3.0, N, ge=0)
    usable_fraction: float = _f(0.95, N, gt=0, le=1)
    shard_gb: float = _f(5.0, N, gt=0)
    # Host RAM of one GPU node; the `local` cluster's cpu_mem_gb is the dev box (plan.host_mem_gb=${cluster.cpu_mem_gb})
    host_mem_gb: float = _f(1024.0, N, gt=0)


@dataclass
class XltConf:
    """The root config (conf/config.yaml)."""

    task: TaskConf = _f(None, R, factory=TaskConf)
    train_task: Optional[TaskConf] = _f(None, T)  # null: train on the evaluated task
    model: ModelConf = _f(None, R, factory=ModelConf)
    lang: LangConf = _f(None, T, factory=LangConf)
    regime: RegimeConf = _f(None, R, factory=RegimeConf)
    targets: Dict[str, List[str]] = _f(None, R, factory=dict)
    data: DataConf = _f(None, R, factory=DataConf)
    trainer: TrainerConf = _f(None, R, factory=TrainerConf)  # R: look inside (precision, clipping)
    strategy: StrategyConf = _f(None, N, factory=StrategyConf)
    engine: EngineConf = _f(None, R, factory=EngineConf)     # R: look inside (name, for CoT)
    logger: LoggerConf = _f(None, N, factory=LoggerConf)
    cluster: ClusterConf = _f(None, N, factory=ClusterConf)
    plan: PlanConf = _f(None, N, factory=PlanConf)
    seed: int = _f(0, T)
    sweep_name: str = _f("dev", N)
    output_root: str = _f("outputs", N)
    force: bool = _f(False, N)
    train_only: bool = _f(False, N)      # stop after the adapter is saved (the condition stays unfinished)
    dry_run: bool = _f(False, N)
    allow_code_change: bool = _f(False, N)


def check_values(cfg: Any, schema: type = XltConf, prefix: str = "") -> None:
    """Check the ranges and choices the schema declares (Hydra checks types and enums, not these);
    raise ConfigError naming the key, the value and what is valid."""
    import dataclasses
    import typing

    from omegaconf import OmegaConf

    from xlt.errors import ConfigError

    hints = typing.get_type_hints(schema)
    for f in dataclasses.fields(schema):
        if cfg is None or f.name not in cfg:
            continue
        value, meta, key = cfg[f.name], f.metadata, prefix + f.name
        sub = next((t for t in (hints[f.name], *typing.get_args(hints[f.name])) if dataclasses.is_dataclass(t)), None)
        if sub is not None and OmegaConf.is_config(value):
            check_values(value, sub, key + ".")
            continue
        if meta["choices"] and not any(value == c and type(value) is type(c) for c in meta["choices"]):
            valid = ", ".join(str(c).lower() if isinstance(c, bool) else c for c in meta["choices"])
            raise ConfigError(f"{key}={value!r} is not valid; valid: {valid}")
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        for bound, ok, word in (("ge", value >= (meta["ge"] or 0), ">="), ("gt", value > (meta["gt"] or 0), ">"),
                                ("le", value <= (meta["le"] or 0), "<=")):
            if meta[bound] is not None and not ok:
                raise ConfigError(f"{key} must be {word} {meta[bound]}, got {value}")


def typed(schema: type, node: Any) -> Any:
    """``node`` checked against ``schema`` with the schema's defaults filled in: a dataclass instance is
    returned as is, a config node or dict is merged into the schema (Hydra-composed nodes already are).
    For public functions that also take hand-written configs (tests, benches)."""
    import dataclasses

    from omegaconf import OmegaConf

    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return node
    if OmegaConf.is_config(node) and OmegaConf.get_type(node) is schema:
        return node
    return OmegaConf.merge(OmegaConf.structured(schema), node)


SCHEMA_NAME = "xlt_schema"


def register() -> None:
    """Store the root schema as ``xlt_schema`` (conf/config.yaml extends it). Idempotent."""
    ConfigStore.instance().store(name=SCHEMA_NAME, node=XltConf)


register()

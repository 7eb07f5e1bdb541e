"""``train_throughput.py --loss-compare``: answer-only loss vs full-logit loss on real Belebele batches.

The parent builds the batches once (tokenizer only), saves them, then runs each loss variant in its own
subprocess, round-robin (answer_only, full, answer_only, full, ...), so each variant's peak memory is
its own process's and machine-load drift hits both. A worker loads the model, attaches LoRA (seeded:
identical adapters in every process), runs warmup + steps of forward + backward (no optimizer step:
the weights stay fixed, so every step's loss is comparable across variants) and writes step times,
losses, memory and its first-batch LoRA gradients. Worker: ``python bench/loss_compare.py --worker SPEC``.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("answer_only", "full")
GIB = 2**30


def _cfg(args: dict):
    from xlt.training.check import learnable_config
    from train_throughput import SMALL

    preset = {"8b": "llama31_8b", "small": "tiny"}.get(args["arch"], args["arch"])
    overrides = SMALL if args["arch"] == "small" else []
    cfg = learnable_config([f"model={preset}", f"regime.max_length={args['max_length']}",
                            "regime.gradient_checkpointing=false", *overrides])
    tok_cfg = learnable_config(["model=tiny"]).model if args["random_init"] else cfg.model  # offline tokenizer
    return cfg, tok_cfg


def build_batches(args: dict) -> list[dict]:
    """Real Belebele items in file order, batch_size per batch, one batch per step (warmup included)."""
    from xlt.data.belebele import load_jsonl
    from xlt.data.prompts import get_format
    from xlt.models.loading import load_tokenizer
    from xlt.scoring.labels import resolve_labels
    from xlt.training.examples import build_examples, collate

    cfg, tok_cfg = _cfg(args)
    tok = load_tokenizer(tok_cfg)
    fmt = get_format("numbered")
    labels = resolve_labels(tok, fmt.labels)
    bs, n = args["batch_size"], args["warmup"] + args["steps"]
    items = load_jsonl(Path(args["data_dir"]) / f"{args['lang']}.jsonl", args["lang"])[: bs * n]
    if len(items) < bs * n:
        raise SystemExit(f"{args['lang']}: {len(items)} items, need {bs * n}")
    examples = build_examples(tok, items, fmt, labels, chat_template=bool(tok_cfg.chat_template),
                              max_length=int(cfg.regime.max_length))
    return [collate(examples[i * bs:(i + 1) * bs], tok.pad_token_id) for i in range(n)]


class RssPeak(threading.Thread):
    """Samples this process's RSS every ``interval`` s (torch kernels release the GIL, so it keeps up)."""

    def __init__(self, interval: float = 0.005) -> None:
        import psutil

        super().__init__(daemon=True)
        self.proc, self.interval = psutil.Process(), interval
        self.peak = self.proc.memory_info().rss
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def stop(self) -> int:
        self.done.set()
        self.join()
        return max(self.peak, self.proc.memory_info().rss)


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def worker(spec_path: str) -> None:
    """One variant in this process: time forward + backward per step, track peak memory, save results."""
    import gc

    import psutil
    import torch

    from train_throughput import _model, _sync
    from xlt.training.fit import TrainSettings, prepare_model
    from xlt.training.module import LOSSES

    spec = json.loads(Path(spec_path).read_text())
    args, variant, device = spec["args"], spec["variant"], spec["args"]["device"]
    loss_fn = LOSSES[variant]
    cfg, _ = _cfg(args)
    model = prepare_model(TrainSettings.from_cfg(cfg), _model(argparse_ns(args), cfg))
    with torch.no_grad():  # LoRA B starts at zero (A's grads would be zero): same seeded values everywhere
        g = torch.Generator().manual_seed(1)
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.02)
    model.train()
    # Training batches carry no attention_mask (LoRAModule.training_step: SDPA's fused causal kernel).
    batches = [{k: v.to(device) for k, v in b.items() if k != "attention_mask"}
               for b in torch.load(spec["batches"])]
    autocast = torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=args["precision"] == "bf16-mixed")

    gc.collect()
    try:  # hand freed heap (model loading) back to the OS so the baseline RSS is what is really live
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        cuda_before = torch.cuda.memory_allocated()
    rss_before, maxrss_before = psutil.Process().memory_info().rss, _maxrss()
    sampler = RssPeak()
    sampler.start()
    times, losses, hits = [], [], []
    for step, batch in enumerate(batches):
        _sync(device)
        t0 = time.perf_counter()
        with autocast:
            loss, hit = loss_fn(model, batch)
        loss.backward()
        _sync(device)
        dt = time.perf_counter() - t0
        if step >= args["warmup"]:
            times.append(dt)
        losses.append(float(loss))
        hits.append(int(hit))
        if step == 0:  # both variants save (the same few MB), so it shifts neither peak relative to the other
            torch.save({n: p.grad.detach().float().cpu() for n, p in model.named_parameters()
                        if p.grad is not None}, spec["grads"])
        model.zero_grad(set_to_none=True)
    sampled = sampler.stop()
    maxrss_after = _maxrss()
    # The kernel's high-water mark is exact but covers the process's whole life: when it rose during the
    # steps it *is* the steps' peak; otherwise (loading peaked higher) the sampled peak is the best figure.
    peak = max(maxrss_after, sampled) if maxrss_after > maxrss_before else sampled  # (counters lag a few pages)
    out: dict[str, Any] = {
        "variant": variant, "step_times_s": times, "losses": losses, "hits": hits,
        "rss_before_gib": rss_before / GIB, "peak_rss_gib": peak / GIB, "step_increment_gib": (peak - rss_before) / GIB,
        "sampled_peak_rss_gib": sampled / GIB, "maxrss_gib": maxrss_after / GIB,
        "n_params": sum(p.numel() for p in model.parameters()), "threads": torch.get_num_threads(),
    }
    if cuda:
        cuda_peak = torch.cuda.max_memory_allocated()
        out.update({"gpu": torch.cuda.get_device_name(), "cuda_peak_gib": cuda_peak / GIB,
                    "cuda_step_increment_gib": (cuda_peak - cuda_before) / GIB})
    Path(spec["out"]).write_text(json.dumps(out))


def argparse_ns(args: dict):
    import argparse

    return argparse.Namespace(**args)


def run_compare(ns) -> dict[str, Any]:
    """Parent: batches once, then the variants round-robin in subprocesses; prints and returns the JSON."""
    import torch

    args = {k: getattr(ns, k) for k in ("arch", "random_init", "precision", "device", "batch_size", "steps",
                                        "warmup", "lang", "data_dir", "max_length")}
    load_start = os.getloadavg()
    t_start = time.time()
    batches = build_batches(args)
    with tempfile.TemporaryDirectory(prefix="loss_compare_") as tmp:
        work = Path(ns.workdir or tmp)  # --workdir keeps the workers' files: summarize() reads a partial run
        work.mkdir(parents=True, exist_ok=True)
        torch.save(batches, work / "batches.pt")
        for rnd in range(ns.rounds):
            for variant in VARIANTS:
                tag = f"{variant}_{rnd}"
                spec = {"args": args, "variant": variant, "batches": str(work / "batches.pt"),
                        "out": str(work / f"{tag}.json"), "grads": str(work / f"{tag}_grads.pt")}
                (work / f"{tag}_spec.json").write_text(json.dumps(spec))
                proc = subprocess.run([sys.executable, __file__, "--worker", str(work / f"{tag}_spec.json")],
                                      capture_output=True, text=True, cwd=ROOT)
                if proc.returncode:
                    sys.stderr.write(proc.stderr[-4000:])
                    raise SystemExit(f"worker {tag} failed (rc {proc.returncode})")
                times = json.loads(Path(spec["out"]).read_text())["step_times_s"]
                print(f"[loss-compare] {tag}: median {statistics.median(times):.2f} s/step", file=sys.stderr, flush=True)
        report = summarize(work, load_start, t_start)
    text = json.dumps(report, indent=1)
    print(text)
    if ns.out:
        Path(ns.out).write_text(text)
    # The 1e-5 check holds in fp32; under bf16 autocast the two paths round differently (reported only).
    if args["precision"] == "32-true" and not report["loss_match"]:
        raise SystemExit(f"|dloss| = {report['abs_dloss']:.3g} > 1e-5")
    return report


def summarize(work: Path, load_start: tuple | None = None, t_start: float | None = None) -> dict[str, Any]:
    """The report from a work dir's finished rounds (both variants done)."""
    import torch

    from train_throughput import PEAK_TFLOPS

    work = Path(work)
    args = json.loads((work / "answer_only_0_spec.json").read_text())["args"]
    batches = torch.load(work / "batches.pt")
    n_rounds = 0
    while all((work / f"{v}_{n_rounds}.json").exists() for v in VARIANTS):
        n_rounds += 1
    runs = {v: [json.loads((work / f"{v}_{r}.json").read_text()) for r in range(n_rounds)] for v in VARIANTS}
    ga, gf = torch.load(work / "answer_only_0_grads.pt"), torch.load(work / "full_0_grads.pt")

    tokens = [int(b["attention_mask"].sum()) for b in batches]
    padded = [int(b["attention_mask"].numel()) for b in batches]
    per: dict[str, dict[str, Any]] = {}
    for v, rs in runs.items():
        per[v] = {
            "step_s": statistics.median(t for r in rs for t in r["step_times_s"]),
            "step_s_per_round": [statistics.median(r["step_times_s"]) for r in rs],
            # max over rounds: the peak a run of this variant needs
            "peak_rss_gib": max(r["peak_rss_gib"] for r in rs),
            "step_increment_gib": max(r["step_increment_gib"] for r in rs),
            "rss_before_gib": statistics.median(r["rss_before_gib"] for r in rs),
            "peak_rss_gib_per_round": [r["peak_rss_gib"] for r in rs],
            "sampled_peak_rss_gib_per_round": [r["sampled_peak_rss_gib"] for r in rs],
            "loss_per_step": rs[0]["losses"],
            "rerun_max_dloss": max(abs(a - b) for r in rs for a, b in zip(r["losses"], rs[0]["losses"])),
        }
        if "cuda_peak_gib" in rs[0]:
            per[v]["cuda_peak_gib"] = max(r["cuda_peak_gib"] for r in rs)
            per[v]["cuda_step_increment_gib"] = max(r["cuda_step_increment_gib"] for r in rs)
    a, f = per["answer_only"], per["full"]
    dloss = max(abs(x - y) for x, y in zip(a["loss_per_step"], f["loss_per_step"]))
    gmax = max(float(g.abs().max()) for g in gf.values())
    gdiff = max(float((ga[n] - gf[n]).abs().max()) for n in gf) if ga.keys() == gf.keys() else float("inf")
    report: dict[str, Any] = {
        "mode": "loss_compare", "device": args["device"], "arch": args["arch"], "random_init": args["random_init"],
        "precision": args["precision"], "lang": args["lang"], "batch_size": args["batch_size"],
        "steps": args["steps"], "warmup": args["warmup"], "rounds": n_rounds,
        "threads": runs["answer_only"][0]["threads"],
        "tokens_per_batch": statistics.mean(tokens[args["warmup"]:]),
        "padded_tokens_per_batch": statistics.mean(padded[args["warmup"]:]),
        "label_tokens_per_batch": statistics.mean(int((b["labels"] != -100).sum()) for b in batches),
        "answer_only": a, "full": f,
        "ratio_step_s": f["step_s"] / a["step_s"],
        "ratio_peak_rss": f["peak_rss_gib"] / a["peak_rss_gib"],
        "ratio_step_increment": f["step_increment_gib"] / a["step_increment_gib"],
        "loss_answer_only": a["loss_per_step"][0], "loss_full": f["loss_per_step"][0],
        "abs_dloss": dloss, "loss_match": dloss <= 1e-5,
        "hits_equal": runs["answer_only"][0]["hits"] == runs["full"][0]["hits"],
        "grad_max_abs_diff": gdiff, "grad_max_abs": gmax, "grad_rel_diff": gdiff / gmax if gmax else None,
        "load_avg_start": load_start, "load_avg_end": os.getloadavg(),
        "wall_s": time.time() - t_start if t_start else None,
    }
    if "cuda_peak_gib" in a:
        report["ratio_cuda_peak"] = f["cuda_peak_gib"] / a["cuda_peak_gib"]
        report["gpu"] = runs["answer_only"][0]["gpu"]
        peak = next((v for k, v in PEAK_TFLOPS.items() if k in report["gpu"]), None)
        flops = 6 * runs["answer_only"][0]["n_params"] * report["tokens_per_batch"]  # as the other mode: dense 6NT
        for v in VARIANTS:  # same numerator for both: the MFU ratio is the speed-up
            report[f"mfu_{v}"] = flops / per[v]["step_s"] / (peak * 1e12) if peak else None
    return report


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        sys.path.insert(0, str(ROOT / "bench"))
        worker(sys.argv[2])

"""Training throughput: the Lightning LoRA path vs a bare PyTorch + peft loop, side by side in one run.

Same model, same batches (length-bucketed), same precision, same optimizer; reports median step time,
tokens/s and their ratio (target: Lightning <= 1.10x the bare loop), plus the padded-token fraction with
and without bucketing (target <= 10 %). On a GPU, ``--arch 8b --random-init`` builds llama31_8b from its
preset with random weights (no download) and adds MFU and peak memory.

    python bench/train_throughput.py                          # tiny twin, CPU
    python bench/train_throughput.py --device cuda --arch 8b --random-init --precision bf16-mixed

``--loss-compare`` (bench/loss_compare.py): the answer-only loss (logits only where a label is predicted)
vs the full-logit loss, on the real SmolLM2-135M-Instruct (default ``--arch smollm2_135m``) and real
Belebele batches of ``--lang`` (chat template, numbered format, LoRA). Each variant runs in its own
subprocess, round-robin over ``--rounds``; reports per variant the median forward + backward step time
(after ``--warmup``), peak RSS during the steps and its increment over the RSS before the first step,
the full / answer_only ratios, both losses on the same batches (|dloss| <= 1e-5 asserted in fp32), the
max LoRA-gradient difference, tokens per batch and the load average at start and end. On CUDA it adds
torch.cuda.max_memory_allocated per variant and MFU. ``--workdir DIR`` keeps the workers' files
(``loss_compare.summarize(DIR)`` reports the rounds finished so far).

    python bench/train_throughput.py --loss-compare --lang arb_Arab --batch-size 4 --steps 3
    python bench/train_throughput.py --loss-compare --device cuda --arch 8b --random-init --precision bf16-mixed
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

# `--arch small`: the tiny Llama widened and deepened (~25M parameters), random init, local tokenizer.
SMALL = ["model.name=small", "model.arch.hidden_size=512", "model.arch.intermediate_size=1376",
         "model.arch.num_hidden_layers=8", "model.arch.num_attention_heads=8", "model.arch.num_key_value_heads=8",
         "model.arch.head_dim=64"]
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}  # dense bf16


def _model(args, cfg):
    import torch
    from transformers import AutoModelForCausalLM

    from xlt.models.arch import build_config
    from xlt.models.loading import load_model

    if args.random_init:  # the preset's real architecture, random weights, no download
        torch.manual_seed(0)
        dtype = torch.bfloat16 if args.precision.startswith("bf16") else torch.float32
        with torch.device(args.device):
            return AutoModelForCausalLM.from_config(build_config(cfg.model), dtype=dtype)
    return load_model(cfg.model).to(args.device)


def _batches(args, cfg, tok):
    from xlt.data.prompts import get_format
    from xlt.scoring.labels import resolve_labels
    from xlt.training.examples import build_examples, padding_fraction
    from xlt.training.learnable import learnable_items
    from xlt.training.loader import BucketBatchSampler, ResumableLoader

    fmt = get_format("numbered")
    labels = resolve_labels(tok, fmt.labels)
    items = learnable_items(args.items, filler_words=args.filler_words)
    examples = build_examples(tok, items, fmt, labels, max_length=int(cfg.regime.max_length))
    bucketed = BucketBatchSampler(examples, args.batch_size, 0, bucket=True)
    plain = BucketBatchSampler(examples, args.batch_size, 0, bucket=False)
    pad = {"bucketed": padding_fraction(examples, bucketed.global_batches(0)),
           "unbucketed": padding_fraction(examples, plain.global_batches(0))}
    loader = ResumableLoader(examples, args.batch_size, 0, tok.pad_token_id, bucket=True)
    return list(loader), pad


def bare_loop(model, batches, args) -> list[float]:
    """Step times (s) of a plain loop: forward, backward, AdamW step, zero_grad."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    autocast = torch.autocast(args.device.split(":")[0], dtype=torch.bfloat16,
                              enabled=args.precision == "bf16-mixed")
    times = []
    model.train()
    for step in range(args.warmup + args.steps):
        batch = {k: v.to(args.device) for k, v in batches[step % len(batches)].items()}
        t0 = time.perf_counter()
        with autocast:
            loss = model(**batch, use_cache=False).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        _sync(args.device)
        if step >= args.warmup:
            times.append(time.perf_counter() - t0)
    return times


def lightning_loop(model, batches, args) -> list[float]:
    """Step times (s) of the same work through LoRAModule + Lightning's Trainer."""
    import lightning as L
    from lightning.pytorch.callbacks import Callback

    from xlt.training.module import LoRAModule

    class Timer(Callback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            _sync(args.device)
            self.t0 = time.perf_counter()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            _sync(args.device)
            self.times.append(time.perf_counter() - self.t0)

    timer = Timer()
    n = args.warmup + args.steps
    module = LoRAModule(model, lr=1e-4, total_steps=lambda: n)
    trainer = L.Trainer(accelerator="cpu" if args.device == "cpu" else "gpu", devices=1, precision=args.precision,
                        max_steps=n, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, gradient_clip_val=1.0, callbacks=[timer],
                        num_sanity_val_steps=0)
    trainer.fit(module, train_dataloaders=_Replay([batches[i % len(batches)] for i in range(n)]))
    return timer.times[args.warmup:]


class _Replay:
    """The pre-collated batches as one iterable (a plain list would be read as several loaders)."""

    def __init__(self, batches: list) -> None:
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    """Run both loops on one model (bare first, then Lightning, then bare again) and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--arch", default=None,
                        help="tiny | small (a ~25M Llama built like tiny: step times closer to real work on CPU) "
                             "| 8b (llama31_8b) | any conf/model preset (default: tiny; smollm2_135m with --loss-compare)")
    parser.add_argument("--random-init", action="store_true")
    parser.add_argument("--precision", default="32-true", help="32-true | bf16-mixed")
    parser.add_argument("--batch-size", type=int, default=None, help="default 8 (4 with --loss-compare)")
    parser.add_argument("--items", type=int, default=128)
    parser.add_argument("--filler-words", type=int, default=120, help="passage length spread")
    parser.add_argument("--steps", type=int, default=None, help="default 20 (3 with --loss-compare)")
    parser.add_argument("--warmup", type=int, default=None, help="default 3 (1 with --loss-compare)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--loss-compare", action="store_true", help="answer-only vs full-logit loss (see above)")
    parser.add_argument("--lang", default="arb_Arab", help="--loss-compare: Belebele file under --data-dir")
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared/data/belebele"))
    parser.add_argument("--max-length", type=int, default=1024, help="--loss-compare: prompt cut (from the left)")
    parser.add_argument("--rounds", type=int, default=2, help="--loss-compare: subprocesses per variant")
    parser.add_argument("--workdir", default=None, help="--loss-compare: keep the workers' files here")
    args = parser.parse_args()
    # Mode-dependent defaults: the real model on 2 CPU cores needs 30-130 s a step, so --loss-compare runs short.
    for name, usual, compare in (("arch", "tiny", "smollm2_135m"), ("batch_size", 8, 4), ("steps", 20, 3),
                                 ("warmup", 3, 1)):
        if getattr(args, name) is None:
            setattr(args, name, compare if args.loss_compare else usual)
    if args.loss_compare:
        from loss_compare import run_compare  # bench/ is on sys.path: this file runs as a script

        run_compare(args)
        return

    import torch

    from xlt.models.loading import load_tokenizer
    from xlt.training.check import learnable_config
    from xlt.training.fit import TrainSettings, prepare_model

    preset = {"8b": "llama31_8b", "small": "tiny"}.get(args.arch, args.arch)
    overrides = SMALL if args.arch == "small" else []
    cfg = learnable_config([f"model={preset}", "regime.max_length=1024", "regime.gradient_checkpointing=false",
                            *overrides])
    tok_cfg = learnable_config(["model=tiny"]).model if args.random_init else cfg.model  # offline tokenizer
    tok = load_tokenizer(tok_cfg)
    batches, pad = _batches(args, cfg, tok)
    model = prepare_model(TrainSettings.from_cfg(cfg), _model(args, cfg))
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    bare1 = bare_loop(model, batches, args)
    light = lightning_loop(model, batches, args)
    bare2 = bare_loop(model, batches, args)  # again: drift (thermal, load) shows up as bare1 != bare2
    bare = statistics.median(bare1 + bare2)
    lit = statistics.median(light)
    tokens = statistics.mean(int(b["attention_mask"].sum()) for b in batches)
    report: dict[str, Any] = {
        "device": args.device, "arch": "small" if args.arch == "small" else preset, "precision": args.precision, "batch_size": args.batch_size,
        "bare_step_s": bare, "lightning_step_s": lit, "ratio": lit / bare,
        "bare_tokens_per_s": tokens / bare, "lightning_tokens_per_s": tokens / lit,
        "bare_first_vs_second": statistics.median(bare1) / statistics.median(bare2),
        "padding_fraction": pad,
    }
    if args.device.startswith("cuda"):
        name = torch.cuda.get_device_name()
        peak = next((v for k, v in PEAK_TFLOPS.items() if k in name), None)
        n_params = sum(p.numel() for p in model.parameters())
        flops = 6 * n_params * tokens  # dense approximation (LoRA backward still flows through the base)
        report.update({"gpu": name, "peak_mem_gb": torch.cuda.max_memory_allocated() / 2**30,
                       "mfu_lightning": flops / lit / (peak * 1e12) if peak else None,
                       "mfu_bare": flops / bare / (peak * 1e12) if peak else None})
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        open(args.out, "w").write(text)


if __name__ == "__main__":
    main()

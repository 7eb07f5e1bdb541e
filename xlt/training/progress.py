"""Training progress as log lines (step, loss, step time, time left): visible in a SLURM log or any
file, where a tqdm bar is not. Lightning's bar only draws on a terminal; this writes plain lines."""

from __future__ import annotations

import logging
import time

from lightning.pytorch.callbacks import Callback

log = logging.getLogger("xlt.training")


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


class ProgressLog(Callback):
    """Logs every ``every_s`` seconds (and at the first and last step): step/total, loss, s/step, eta."""

    def __init__(self, total_steps, every_s: float = 30.0, name: str = "") -> None:
        self.total_steps = total_steps  # a callable: the loader's length is known only once fit starts
        self.every_s = every_s
        self.name = name
        self.lines: list[str] = []

    def on_train_start(self, trainer, pl_module) -> None:
        self.t0 = self.last = time.monotonic()
        self.start_step = trainer.global_step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if not trainer.is_global_zero:
            return
        now, step, total = time.monotonic(), trainer.global_step, max(1, int(self.total_steps()))
        done = step - self.start_step
        if done < 1 or (now - self.last < self.every_s and done != 1 and step < total):
            return
        self.last = now
        per_step = (now - self.t0) / done
        loss = trainer.callback_metrics.get("train/loss_step")
        line = (f"{self.name} step {step}/{total} ({100 * step / total:.0f}%)"
                f"{f' loss {float(loss):.4f}' if loss is not None else ''} · {per_step:.1f} s/step"
                f" · elapsed {_clock(now - self.t0)} · left ~{_clock(per_step * (total - step))}")
        self.lines.append(line.strip())
        log.info(line.strip())

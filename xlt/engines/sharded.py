"""Every rank evaluates: after DDP or DeepSpeed training, the items are split across the ranks of the job
(whole passages per rank, so prefix reuse still applies), each rank scores its share on its own device,
and the predictions are gathered back into the one-process order (rank 0 writes them).

Written here because neither Lightning (``Trainer.predict`` wants a LightningModule and a dataloader, and
returns per-rank lists without the order) nor accelerate fits an engine that scores packed passages
and generates; ``torch.distributed.all_gather_object`` does the transport.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from xlt.data.items import Item
from xlt.data.prompts import PromptFormat
from xlt.ranks import rank_world
from xlt.results.records import Prediction
from xlt.scoring.labels import LabelTokens

log = logging.getLogger(__name__)


def eval_device() -> Any:
    """This rank's accelerator (``cuda:LOCAL_RANK``) when there is one, else the CPU."""
    import torch

    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK") or 0) % torch.cuda.device_count())
    return torch.device("cpu")


def shard_indices(items: Sequence[Item], rank: int, size: int) -> list[int]:
    """Indices of ``items`` this rank scores: passages (consecutive items of one (lang, link)) dealt
    round-robin, so two questions on one passage stay on one rank and share its encoding."""
    mine, group, last = [], -1, None
    for i, it in enumerate(items):
        key = (it.lang, it.link)
        if key != last:
            group, last = group + 1, key
        if group % size == rank:
            mine.append(i)
    return mine


def gather_ordered(mine: list[int], values: list, n: int) -> list:
    """Every rank's ``(index, value)`` pairs gathered on all ranks and put back in index order."""
    import torch.distributed as dist

    parts: list = [None] * dist.get_world_size()
    dist.all_gather_object(parts, list(zip(mine, values)))
    out: list = [None] * n
    for part in parts:
        for i, v in part:
            out[i] = v
    missing = [i for i, v in enumerate(out) if v is None]
    if missing:
        raise RuntimeError(f"items {missing[:5]} were scored by no rank")
    return out


@dataclass
class ShardedEngine:
    """Wraps an engine so each call runs on this rank's share and returns every rank's results.
    Every rank must make the same calls in the same order (each call is one collective)."""

    inner: Any
    rank: int
    size: int
    lockstep: Any = None  # xlt.engines.partitioned.Lockstep when the weights are ZeRO-3 partitioned

    def _done(self) -> None:
        if self.lockstep is not None:  # this rank's share is done: join the others' forwards
            self.lockstep.drain()

    def score(self, items: Sequence[Item], fmt: PromptFormat, labels: LabelTokens, *, chat_template,
              prompts: Sequence[str] | None = None,
              progress: Callable[[int], None] | None = None) -> list[Prediction]:
        """The inner engine's ``score`` on this rank's passages; all predictions, in ``items`` order."""
        mine = shard_indices(items, self.rank, self.size)
        log.info("rank %d/%d scores %d of %d items", self.rank, self.size, len(mine), len(items))
        part = self.inner.score([items[i] for i in mine], fmt, labels, chat_template=chat_template,
                                prompts=None if prompts is None else [prompts[i] for i in mine],
                                progress=progress) if mine else []
        self._done()
        out = gather_ordered(mine, part, len(items))
        if progress:  # the other ranks' share, counted once it arrives
            progress(len(items) - len(mine))
        return out

    def generate(self, prompts: list[str], chat_template, max_new_tokens: int) -> list[str]:
        """The inner engine's ``generate`` on every ``size``-th prompt; all texts, in order."""
        mine = list(range(self.rank, len(prompts), self.size))
        texts = self.inner.generate([prompts[i] for i in mine], chat_template, max_new_tokens) if mine else []
        self._done()
        return gather_ordered(mine, texts, len(prompts))

    def close(self) -> None:
        """Close the inner engine (and remove the lockstep hook)."""
        if self.lockstep is not None:
            self.lockstep.close()
        getattr(self.inner, "close", lambda: None)()

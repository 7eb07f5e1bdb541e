"""Training batches: length-bucketed, sharded across ranks, reshuffled per epoch, resumable mid-epoch.

Lightning restores a loader's position only if it is *stateful* (``state_dict``/``load_state_dict``);
otherwise a run resumed mid-epoch would see different batches than an uninterrupted one. The batch
plan is a pure function of (seed, epoch), so the state is just (epoch, batches consumed).
"""

from __future__ import annotations

import random
from typing import Any, Iterator, Sequence

from torch.utils.data import DataLoader

from xlt.ranks import rank_world as _dist_rank_world  # module-level: tests patch it
from xlt.training.examples import Example, collate, length_buckets


class BucketBatchSampler:
    """Yields this rank's batches (lists of example indices) for the current epoch.

    All ranks compute the same global plan from (seed, epoch) and take every ``world``-th batch, wrapping
    around so every rank gets the same number of batches (collectives stay in lockstep).
    """

    def __init__(self, examples: Sequence[Example], batch_size: int, seed: int, bucket: bool = True) -> None:
        self.lengths = [len(e.input_ids) for e in examples]
        self.batch_size, self.seed, self.bucket = int(batch_size), int(seed), bool(bucket)
        self.epoch = 0
        self.consumed = 0   # batches of this epoch already trained on (advanced by BatchCounter)
        self._skip = 0      # batches to skip at the next __iter__ (set when resuming)
        # Lightning calls set_epoch on `loader.batch_sampler.sampler`, not on the batch sampler itself.
        self.sampler = self

    def global_batches(self, epoch: int) -> list[list[int]]:
        """Every rank's batches of one epoch, in order (deterministic in seed and epoch)."""
        if self.bucket:
            stub = [_Len(n) for n in self.lengths]
            return length_buckets(stub, self.batch_size, self.seed + epoch)  # type: ignore[arg-type]
        idx = list(range(len(self.lengths)))
        random.Random(self.seed + epoch).shuffle(idx)
        return [idx[i:i + self.batch_size] for i in range(0, len(idx), self.batch_size)]

    def rank_batches(self, epoch: int) -> list[list[int]]:
        """This rank's share of an epoch's batches."""
        rank, world = _dist_rank_world()
        plan = self.global_batches(epoch)
        per_rank = -(-len(plan) // world)
        return [plan[(rank + i * world) % len(plan)] for i in range(per_rank)]

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning at each epoch start."""
        if epoch != self.epoch:  # a new epoch: nothing of it consumed, nothing to skip (a checkpoint
            # taken at the last batch of an epoch restores (epoch, all consumed), then moves on here)
            self.epoch, self.consumed, self._skip = epoch, 0, 0

    def __iter__(self) -> Iterator[list[int]]:
        # A generator: the plan is read at the first batch, after Lightning has set the epoch.
        skip, self._skip = self._skip, 0
        yield from self.rank_batches(self.epoch)[skip:]

    def __len__(self) -> int:
        _, world = _dist_rank_world()
        return -(-(-(-len(self.lengths) // self.batch_size)) // world)

    def state_dict(self) -> dict[str, int]:
        """Position in the epoch plan."""
        return {"epoch": self.epoch, "consumed": self.consumed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Resume: the next iteration skips the batches already trained on."""
        self.epoch, self.consumed = int(state["epoch"]), int(state["consumed"])
        self._skip = self.consumed


class _Len:
    """Stand-in with the only attribute length_buckets reads."""

    __slots__ = ("input_ids",)

    def __init__(self, n: int) -> None:
        self.input_ids = range(n)


class ResumableLoader(DataLoader):
    """A DataLoader over a BucketBatchSampler that Lightning can checkpoint and restore."""

    def __init__(self, examples: Sequence[Example], batch_size: int, seed: int, pad_id: int,
                 bucket: bool = True) -> None:
        sampler = BucketBatchSampler(examples, batch_size, seed, bucket)
        super().__init__(list(examples), batch_sampler=sampler, collate_fn=_Collate(pad_id))

    def state_dict(self) -> dict[str, Any]:
        """Delegates to the batch sampler (Lightning stores it in the fit loop's state)."""
        return self.batch_sampler.state_dict()  # type: ignore[union-attr]

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Delegates to the batch sampler."""
        self.batch_sampler.load_state_dict(state)  # type: ignore[union-attr]


class _Collate:
    """Picklable collate function (worker processes, spawn)."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, batch: Sequence[Example]):
        return collate(batch, self.pad_id)


def batch_counter(loader: ResumableLoader):
    """A Lightning callback that advances the loader's position as batches start training.

    Counting at batch *start* (not in the loader) keeps the count exact despite Lightning's one-batch
    prefetch, so a checkpoint written at the end of batch k records k+1 batches consumed.
    """
    from lightning.pytorch.callbacks import Callback

    class BatchCounter(Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            loader.batch_sampler.consumed += 1  # type: ignore[union-attr]

    return BatchCounter()

"""Which process of a distributed job this is (no torch import: usable before anything starts)."""

from __future__ import annotations

import os


def is_rank_zero() -> bool:
    """True on the process that writes results (rank 0 of a distributed job, or a single process).

    Lightning's launcher starts extra ranks with only LOCAL_RANK/NODE_RANK set (RANK comes later, when
    the process group starts), so any non-zero rank variable means "not rank 0".
    """
    return all(int(os.environ.get(k) or 0) == 0 for k in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID"))


def rank_world() -> tuple[int, int]:
    """(rank, world size) of the initialised torch process group, else (0, 1). Read lazily: with
    Lightning's launcher the group only exists once ``fit`` has started."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1

"""xlt.engines.sharded: passages dealt to ranks, results gathered back in one-process order (2 gloo
processes on CPU, a stand-in engine that records which items it saw)."""

from __future__ import annotations

import os

import torch.multiprocessing as mp

from xlt.data.items import Item
from xlt.engines.sharded import shard_indices
from xlt.results.records import Prediction


def _items() -> list[Item]:
    spec = [("a", 2), ("b", 1), ("c", 3), ("d", 1), ("e", 1)]  # passages and their question counts
    return [Item("eng_Latn", link, q, "p", "q", ("1", "2", "3", "4"), 1) for link, n in spec for q in range(1, n + 1)]


class _Echo:
    """Scores item i as [i, ...]; generates 'text:<prompt>'; remembers what this rank was given."""

    def __init__(self):
        self.seen = []

    def score(self, items, fmt, labels, *, chat_template, prompts=None, progress=None):
        self.seen += [(it.link, it.question_number) for it in items]
        return [Prediction(it.lang, it.link, it.question_number, [float(it.question_number)] * 4, 1, 1, "t")
                for it in items]

    def generate(self, prompts, chat_template, max_new_tokens):
        return [f"text:{p}" for p in prompts]


def _worker(rank: int, size: int, port: int, out):
    import torch.distributed as dist

    from xlt.engines.sharded import ShardedEngine
    from xlt.ranks import rank_world

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=size)
    assert rank_world() == (rank, size)
    inner = _Echo()
    engine = ShardedEngine(inner, rank, size)
    items = _items()
    preds = engine.score(items, None, None, chat_template=False)
    texts = engine.generate([f"p{i}" for i in range(5)], False, 8)
    out.put((rank, inner.seen, [(p.link, p.question_number) for p in preds], texts))
    dist.destroy_process_group()


def test_passages_are_dealt_whole_and_round_robin():
    items = _items()
    r0, r1 = shard_indices(items, 0, 2), shard_indices(items, 1, 2)
    assert [items[i].link for i in r0] == ["a", "a", "c", "c", "c", "e"]
    assert [items[i].link for i in r1] == ["b", "d"]
    assert sorted(r0 + r1) == list(range(len(items))) and shard_indices(items, 0, 1) == list(range(len(items)))


def test_two_ranks_gather_every_prediction_in_one_process_order():
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    port = 29500 + os.getpid() % 1000
    procs = [ctx.Process(target=_worker, args=(r, 2, port, out)) for r in range(2)]
    for p in procs:
        p.start()
    got = dict((r, (seen, order, texts)) for r, seen, order, texts in (out.get(timeout=120) for _ in procs))
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    want = [(it.link, it.question_number) for it in _items()]
    assert got[0][1] == got[1][1] == want  # both ranks hold all, in order
    assert {lk for lk, _ in got[0][0]} == {"a", "c", "e"} and {lk for lk, _ in got[1][0]} == {"b", "d"}
    assert got[0][2] == got[1][2] == [f"text:p{i}" for i in range(5)]

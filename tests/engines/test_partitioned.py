"""xlt.engines.partitioned: ZeRO-3 evaluation on 2 gloo processes. The base stays partitioned (each rank
stores about half), the saved adapter is applied unmerged, the ranks' shares differ in size (the lockstep
runs dummy forwards), and scores and greedy texts equal one process with the whole merged model."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = [f"p{i} market opens at nine" for i in range(5)]


def _setup():
    sys.path.insert(0, str(ROOT / "tests" / "scoring"))
    from omegaconf import OmegaConf
    from test_scorer_exact import _items

    from xlt.data.prompts import FORMATS
    from xlt.models.loading import load_tokenizer
    from xlt.scoring.labels import resolve_labels

    cfg = OmegaConf.load(ROOT / "conf" / "model" / "tiny.yaml")
    tok = load_tokenizer(cfg)
    fmt = FORMATS["numbered"]
    return cfg, tok, _items(), fmt, resolve_labels(tok, fmt.labels)


def _worker(rank: int, size: int, port: int, adapter: str, out_dir: str) -> None:
    import faulthandler

    faulthandler.dump_traceback_later(240, exit=True)  # unpaired collectives hang: fail instead
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(size),
                      LOCAL_RANK=str(rank))
    import deepspeed
    from omegaconf import OmegaConf

    from xlt.config.schema import StrategyConf
    from xlt.engines.hf import HFEngine
    from xlt.engines.partitioned import Lockstep, held_weights, open_partitioned
    from xlt.engines.sharded import ShardedEngine
    from xlt.training.strategies import deepspeed_config

    deepspeed.init_distributed("gloo")
    cfg, tok, items, fmt, labels = _setup()
    strategy = OmegaConf.structured(StrategyConf(name="deepspeed", stage=3, param_persistence_threshold=0))
    model = open_partitioned(cfg, Path(adapter), deepspeed_config(strategy))
    lock = Lockstep(model, tok.pad_token_id)
    engine = ShardedEngine(HFEngine(model, tok, 2, True), rank, size, lock)
    dummies = []
    drain = lock.drain
    lock.drain = lambda: dummies.append(drain()) or dummies[-1]  # count what each drain ran
    preds = engine.score(items, fmt, labels, chat_template=False)
    texts = engine.generate(PROMPTS, False, 6)
    result = {"held": held_weights(model), "forwards": lock.forwards, "dummies": dummies,
              "logprobs": [p.logprobs for p in preds], "texts": texts}
    engine.close()
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps(result))


@pytest.mark.slow
def test_zero3_partitioned_evaluation_equals_one_whole_process(tmp_path):
    from peft import LoraConfig, get_peft_model

    from xlt.engines.hf import HFEngine
    from xlt.models.loading import load_model

    cfg, tok, items, fmt, labels = _setup()
    torch.manual_seed(0)  # a random (non-zero) adapter, so an unapplied one would show
    peft = get_peft_model(load_model(cfg), LoraConfig(r=4, target_modules=["q_proj", "v_proj"],
                                                      init_lora_weights=False))
    peft.save_pretrained(tmp_path / "adapter")
    whole = HFEngine(peft.merge_and_unload().eval(), tok, 2, True)
    want = whole.score(items, fmt, labels, chat_template=False)
    want_texts = whole.generate(PROMPTS, False, 6)

    port = 29500 + (os.getpid() + 500) % 1000
    mp.spawn(_worker, args=(2, port, str(tmp_path / "adapter"), str(tmp_path)), nprocs=2)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    print({k: [r[k] for r in ranks] for k in ("held", "forwards", "dummies")})
    for r in ranks:
        local, total = r["held"]
        assert local <= 0.55 * total, r["held"]  # partitioned while it scored
        assert r["texts"] == want_texts
        diff = max(abs(a - b) for got, p in zip(r["logprobs"], want) for a, b in zip(got, p.logprobs))
        assert diff < 1e-5, diff
    assert sum(r["held"][0] for r in ranks) == ranks[0]["held"][1]  # the two shards make the whole
    # the shares differ (4 of 7 passages vs 3; 3 of 5 prompts vs 2): the lighter rank ran dummy forwards,
    # and real + dummy forwards are equal on both ranks (each a set of collectives)
    assert ranks[0]["forwards"] != ranks[1]["forwards"]
    assert sum(ranks[1]["dummies"]) > 0
    assert ranks[0]["forwards"] + sum(ranks[0]["dummies"]) == ranks[1]["forwards"] + sum(ranks[1]["dummies"])

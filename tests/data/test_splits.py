"""Leak-free splits: no evaluated item, and (for passage/kfold) no evaluated passage, is trained on."""

from __future__ import annotations

import pytest

from xlt.data.items import Item
from xlt.data.splits import common_keys, make_split
from xlt.errors import ConfigError


def _lang(code: str, n_passages: int = 20, shuffle: bool = False) -> list[Item]:
    items = [Item(code, f"p{p:03d}", q, f"passage {p} {code}", "q?", ("a", "b", "c", "d"), 1 + (p + q) % 4)
             for p in range(n_passages) for q in ((1, 2) if p % 3 else (1,))]
    return items[::-1] if shuffle else items


@pytest.fixture
def data():
    return {c: _lang(c, shuffle=(c == "heb_Hebr")) for c in ("arb_Arab", "ary_Arab", "heb_Hebr", "fra_Latn")}


@pytest.mark.parametrize("kind", ["paper", "passage", "kfold"])
def test_no_item_leaks_in_any_language(data, kind):
    split = make_split(data, ["arb_Arab", "ary_Arab"], ["arb_Arab", "heb_Hebr", "fra_Latn"], kind, n_eval=8)
    assert split.leaked_items() == set()
    assert split.train and all(split.eval.values())
    if kind != "paper":
        assert split.leaked_passages() == set()


def test_held_out_identical_across_languages_despite_row_order(data):
    split = make_split(data, ["arb_Arab"], ["arb_Arab", "heb_Hebr", "fra_Latn"], "passage", n_eval=8)
    keys = [[it.key for it in items] for items in split.eval.values()]
    assert keys[0] == keys[1] == keys[2]
    assert len(keys[0]) >= 8


def test_split_independent_of_condition_seed_but_of_split_seed(data):
    a = make_split(data, ["arb_Arab"], ["heb_Hebr"], "passage", 8, split_seed=0)
    b = make_split(data, ["arb_Arab"], ["heb_Hebr"], "passage", 8, split_seed=0)
    c = make_split(data, ["arb_Arab"], ["heb_Hebr"], "passage", 8, split_seed=1)
    assert a.eval_keys == b.eval_keys != c.eval_keys


def test_kfold_covers_every_item_exactly_once(data):
    keys = common_keys(data)
    seen = []
    for fold in range(4):
        split = make_split(data, ["arb_Arab"], ["heb_Hebr"], "kfold", 1, n_folds=4, fold=fold)
        assert split.leaked_passages() == set()
        seen += split.eval_keys
    assert sorted(seen) == keys


def test_too_many_eval_items_is_a_clear_error(data):
    with pytest.raises(ConfigError, match="n_eval"):
        make_split(data, ["arb_Arab"], ["heb_Hebr"], "paper", 10_000)


def test_real_belebele_passage_split_has_no_leak(belebele_dir):
    from omegaconf import OmegaConf

    from xlt.data.belebele import load_languages

    cfg = OmegaConf.create({"source": "local", "dir": str(belebele_dir)})
    data = load_languages(cfg, ["arb_Arab", "eng_Latn", "jpn_Jpan"])
    assert all(len(v) == 900 for v in data.values())
    split = make_split(data, ["arb_Arab"], ["eng_Latn", "jpn_Jpan"], "passage", 100)
    assert split.leaked_passages() == set() and split.leaked_items() == set()
    assert 100 <= len(split.eval_keys) <= 101
    assert len(split.train) == 900 - len({it.key for it in data["arb_Arab"] if it.link in {k[0] for k in split.eval_keys}})

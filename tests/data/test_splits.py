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


# ---- the three split kinds on real Belebele and on the project's fixtures ----

ARABIC_SIX = ["arb_Arab", "acm_Arab", "apc_Arab", "ars_Arab", "ary_Arab", "arz_Arab"]


def _assert_no_passage_of_an_evaluated_item_in_training(split, data) -> None:
    """Checked from the items themselves, in every language of the data (not via Split's helpers)."""
    eval_links = {it.link for items in split.eval.values() for it in items}
    eval_texts = {data[lang_][i].passage for lang_ in data for i, it in enumerate(data[lang_]) if it.link in eval_links}
    assert not {it.link for it in split.train} & eval_links
    assert not {it.passage for it in split.train} & eval_texts


@pytest.fixture(scope="module")
def real(belebele_dir):
    from omegaconf import OmegaConf

    from xlt.data.belebele import load_languages

    cfg = OmegaConf.create({"source": "local", "dir": str(belebele_dir)})
    return load_languages(cfg, ["arb_Arab", "eng_Latn", "fra_Latn", "jpn_Jpan", "zho_Hans"])


def test_real_paper_split_is_800_train_100_eval_by_item(real):
    targets = ["arb_Arab", "eng_Latn", "jpn_Jpan", "zho_Hans"]
    split = make_split(real, ["arb_Arab"], targets, "paper", 100, n_train=800)
    assert len(split.train) == 800 and all(len(v) == 100 for v in split.eval.values())
    assert split.leaked_items() == set()
    assert len({tuple(it.key for it in v) for v in split.eval.values()}) == 1  # identical items everywhere
    # by item, not by passage: a held-out question's sibling may be trained on (why `passage` is the default)
    assert split.leaked_passages()


def test_real_passage_split_holds_out_exactly_100_whole_passages(real):
    split = make_split(real, ["arb_Arab", "fra_Latn"], ["arb_Arab", "eng_Latn", "jpn_Jpan"], "passage", 100,
                       n_train=800)
    assert len(split.eval_keys) == 100 and len(split.train) == 1600
    _assert_no_passage_of_an_evaluated_item_in_training(split, real)


def test_real_kfold_evaluates_all_900_once_never_on_a_trained_passage(real):
    seen: list[tuple[str, int]] = []
    for fold in range(5):
        split = make_split(real, ["arb_Arab"], ["eng_Latn", "arb_Arab"], "kfold", 0, n_folds=5, fold=fold)
        _assert_no_passage_of_an_evaluated_item_in_training(split, real)
        assert len(split.train) + len(split.eval_keys) == 900
        seen += split.eval_keys
    assert len(seen) == 900 and set(seen) == {it.key for it in real["eng_Latn"]}


@pytest.fixture(scope="module")
def fixtures_data():
    from omegaconf import OmegaConf

    from xlt.data.belebele import load_languages
    from xlt.data.fixtures import FIXTURE_LANGUAGES

    return load_languages(OmegaConf.create({"source": "fixtures"}), list(FIXTURE_LANGUAGES))


@pytest.mark.parametrize("kind", ["paper", "passage", "kfold"])
def test_fixture_splits_six_arabic_sources_never_leak(fixtures_data, kind):
    n = len(fixtures_data["arb_Arab"])
    targets = [c for c in fixtures_data if c not in ARABIC_SIX[1:]]
    n_eval = n // 6
    split = make_split(fixtures_data, ARABIC_SIX, targets, kind, n_eval, n_folds=3, fold=1)
    assert split.leaked_items() == set()
    assert {it.lang for it in split.train} == set(ARABIC_SIX)
    keys = [tuple(it.key for it in v) for v in split.eval.values()]
    assert len(set(keys)) == 1  # the same held-out items in every target language
    if kind == "paper":
        assert len(split.train) == 6 * (n - n_eval) and len(keys[0]) == n_eval
    else:
        _assert_no_passage_of_an_evaluated_item_in_training(split, fixtures_data)


def test_gold_mismatch_across_languages_is_an_error(data):
    from dataclasses import replace

    broken = dict(data)
    broken["heb_Hebr"] = [replace(it, answer=1 + it.answer % 4) if it.key == ("p005", 1) else it for it in data["heb_Hebr"]]
    with pytest.raises(ValueError, match=r"p005.*not parallel"):
        make_split(broken, ["arb_Arab"], ["heb_Hebr"], "passage", 4)

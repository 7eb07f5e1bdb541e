"""The task group: SIB-200 (K = 7, own train split, stratified subsets) beside Belebele, and the
cross-task FLORES-200 leak check, on the real data in ../shared/data (skipped when absent)."""

from __future__ import annotations

import collections
import random

import pytest

from tests.conftest import SHARED_DATA
from xlt.data.splits import choose_eval_keys, stratified_sample
from xlt.errors import ConfigError

SIB = SHARED_DATA / "sib200"


@pytest.fixture(scope="module")
def sib_dir():
    if not (SIB / "eng_Latn" / "test.tsv").exists():
        pytest.skip(f"real SIB-200 data not found at {SIB} (see ../shared/data/README.md)")
    return SIB


def _split(compose, *overrides):
    from xlt.conditions import Condition
    from xlt.data.tasks import build_split, tasks_of

    cfg = compose(list(overrides))
    cond = Condition.from_cfg(cfg)
    return cond, build_split(*tasks_of(cfg), cfg.data, list(cond.source_variants), list(cond.targets), cond.trains)


def test_stratified_sample_keeps_label_shares():
    keys = [(f"l{i}", 0) for i in range(204)]
    gold = {k: 1 if i < 51 else 2 + i % 6 for i, k in enumerate(keys)}  # sorted like SIB's test: 51 of label 1 first
    got = stratified_sample(keys, gold, 102, random.Random(0))
    counts = collections.Counter(gold[k] for k in got)
    full = collections.Counter(gold.values())
    assert len(got) == 102 == len(set(got))
    assert all(abs(counts[lab] - full[lab] / 2) <= 1 for lab in full)


def test_random_subset_is_not_the_first_rows():
    keys = [(f"l{i:03d}", 0) for i in range(204)]
    got = choose_eval_keys(keys, "passage", 51, 0)  # one item per passage: drawn as items
    assert got != keys[:51] and len(set(got)) == 51
    assert choose_eval_keys(keys, "passage", 51, 0) == got and choose_eval_keys(keys, "passage", 51, 1) != got


def test_stratified_needs_items_not_passages():
    keys = [("a", 1), ("a", 2), ("b", 1)]
    with pytest.raises(ConfigError, match="subset=stratified draws items"):
        choose_eval_keys(keys, "passage", 2, 0, subset="stratified", gold={k: 1 for k in keys})


def test_sib200_own_train_split_stratified_eval(compose, sib_dir):
    cond, drawn = _split(compose, "task=sib200", "lang=arb_Arab", "targets=[heb_Hebr,mlt_Latn,amh_Ethi]",
                         "regime=finetune", "data.n_eval=70", "data.subset=stratified", "data.n_train=100")
    split = drawn.split
    assert cond.task == "sib200" and cond.id.startswith("tiny-sib200-arb_Arab-finetune-")
    assert {len(v) for v in split.eval.values()} == {70} and len(split.train) == 100
    assert all(len(it.options) == 7 for it in split.train) and {it.lang for it in split.train} == {"arb_Arab"}
    # stratified: each category keeps its share of the 204 test items (51 science/technology -> 17 or 18)
    shares = collections.Counter(it.answer for it in split.eval["heb_Hebr"])
    assert 17 <= shares[1] <= 18 and sum(shares.values()) == 70
    # parallel: the same sentences in every target, never a training sentence
    assert len({tuple(it.key for it in v) for v in split.eval.values()}) == 1
    assert not {i for it in split.train for i in it.flores_ids} & {i for it in split.eval["mlt_Latn"] for i in it.flores_ids}
    assert drawn.leak is not None and drawn.leak["n_overlapping"] == 0


def test_sib200_heldin_training_excludes_held_out_items(compose, sib_dir):
    _, drawn = _split(compose, "task=sib200", "task.train_from=heldin", "lang=eng_Latn", "targets=[eng_Latn,heb_Hebr]",
                      "regime=finetune", "data.n_eval=100")
    split = drawn.split
    assert len(split.train) == 104 and not split.leaked_items()  # 204 test items - 100 held out


def test_task_ids_and_validation(compose, sib_dir):
    from xlt.conditions import Condition

    base = Condition.from_cfg(compose(["targets=[heb_Hebr]"]))
    sib = Condition.from_cfg(compose(["task=sib200", "targets=[heb_Hebr]"]))
    assert base.task == "belebele" and sib.task == "sib200" and base.id != sib.id
    with pytest.raises(ConfigError, match="belebele has no training split"):
        Condition.from_cfg(compose(["task.train_from=own"]))
    with pytest.raises(Exception, match="data.subset=first"):  # the schema's enum: refused while composing
        Condition.from_cfg(compose(["data.subset=first"]))
    with pytest.raises(ConfigError, match="data.n_eval=300 but only 204"):
        _split(compose, "task=sib200", "targets=[heb_Hebr]", "data.n_eval=300")


def test_missing_sib_language_is_named(compose, sib_dir):
    from xlt.conditions import Condition
    from xlt.data.tasks import check_needed, tasks_of

    cfg = compose(["task=sib200", "targets=[kor_Hang]", "task.dir=" + str(sib_dir.parent / "nowhere")])
    cond = Condition.from_cfg(cfg)
    with pytest.raises(ConfigError, match="is not a folder"):
        check_needed(*tasks_of(cfg), cfg.data, [], list(cond.targets), False)


def test_cross_task_leak_is_found_by_flores_id_and_dropped(compose, sib_dir, belebele_dir):
    args = ["task=belebele", "train_task=sib200", "data=local", f"data.dir={belebele_dir}", "lang=arb_Arab",
            "targets=[eng_Latn,jpn_Jpan]", "regime=finetune", "data.n_eval=100", "data.split=paper"]
    _, reported = _split(compose, *args)
    leak = reported.leak
    # SIB's 701 Arabic training sentences sit in 587 of Belebele's 900 questions (measured in
    # tests/data/test_flores.py): about 65 of 100 evaluated questions, in languages other than Arabic
    assert leak["train_task"] == "sib200" and leak["eval_task"] == "belebele" and leak["n_train"] == 701
    assert 45 <= leak["n_overlapping"] <= 85 and len(leak["shared_flores_ids"]) > 0
    assert all(len(v) == 100 for v in reported.split.eval.values())
    cond, dropped = _split(compose, *args, "data.leak=drop")
    assert cond.train_task == "sib200" and "from_sib200" in cond.id
    keep = 100 - leak["n_overlapping"]
    assert dropped.leak["dropped"] == leak["n_overlapping"]
    assert all(len(v) == keep for v in dropped.split.eval.values()) and len(dropped.split.eval_keys) == keep
    left = {it.key for v in dropped.split.eval.values() for it in v}
    assert not left & {tuple(k) for k in leak["overlapping_keys"]}


def test_sib_scoring_matches_the_naive_reference(tiny_model, sib_dir):
    from xlt.data.prompts import get_format
    from xlt.data.sib200 import load_split
    from xlt.scoring.reference import naive_score
    from xlt.scoring.scorer import score_items

    model, tok, _ = tiny_model
    items = [it for lang in ("heb_Hebr", "amh_Ethi") for it in load_split(sib_dir, lang, "test")[::40]]
    fmt = get_format("numbered", 7)
    preds = score_items(model, tok, items, fmt, batch_size=4, prefix_reuse=True)
    ref = naive_score(model, tok, items, fmt)
    assert all(len(p.logprobs) == 7 for p in preds)
    assert max(abs(a - b) for p, r in zip(preds, ref) for a, b in zip(p.logprobs, r)) <= 1e-4
    assert [p.pred for p in preds] == [1 + max(range(7), key=r.__getitem__) for r in ref]

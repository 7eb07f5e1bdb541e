"""The format-only swap (regime finetune_format): derangement over passages, deterministic, content-free."""

from __future__ import annotations

from dataclasses import replace

import pytest

from xlt.data.fixtures import FIXTURE_LANGUAGES, fixture_rows
from xlt.data.format_only import swapped_passages
from xlt.data.items import Item
from xlt.data.splits import make_split


def _items(codes: list[str]) -> list[Item]:
    return [Item.from_row(c, r) for c in codes for r in fixture_rows(c)]


@pytest.fixture(scope="module")
def train_items() -> list[Item]:
    """Training items of three sources (ar's six variants, Hebrew, Japanese) outside the held-out passages."""
    codes = ["arb_Arab", "acm_Arab", "apc_Arab", "ars_Arab", "ary_Arab", "arz_Arab", "heb_Hebr", "jpn_Jpan"]
    data = {c: [Item.from_row(c, r) for r in fixture_rows(c)] for c in codes}
    return make_split(data, codes, ["arb_Arab", "heb_Hebr", "jpn_Jpan"], "passage", 12).train


def test_derangement_over_passages_within_each_language(train_items):
    swapped = swapped_passages(train_items, seed=0)
    assert len(swapped) == len(train_items)
    text_of = {(it.lang, it.link): it.passage for it in train_items}
    for it, new in zip(train_items, swapped):
        assert new != it.passage  # no item keeps its own text ...
        donors = [link for (lang, link), t in text_of.items() if lang == it.lang and t == new]
        assert donors and it.link not in donors  # ... and the new one is another passage of its language
    # the questions of one passage keep travelling together
    by_passage: dict[tuple[str, str], set[str]] = {}
    for it, new in zip(train_items, swapped):
        by_passage.setdefault((it.lang, it.link), set()).add(new)
    assert all(len(v) == 1 for v in by_passage.values())
    # a permutation of the language's passages: every passage is used as a replacement exactly once
    for lang in {it.lang for it in train_items}:
        originals = {t for (l, _), t in text_of.items() if l == lang}
        used = [next(iter(v)) for (l, _), v in by_passage.items() if l == lang]
        assert sorted(used) == sorted(originals)


def test_keeps_question_options_and_gold(train_items, tiny_model):
    """Only the passage changes in the training prompt; the label (gold) of each example is untouched."""
    from xlt.data.prompts import get_format
    from xlt.scoring.labels import resolve_labels
    from xlt.training.examples import build_examples

    _, tok, _ = tiny_model
    fmt = get_format("numbered")
    labels = resolve_labels(tok, fmt.labels)
    items = train_items[:12]
    swapped = swapped_passages(train_items, seed=3)[:12]
    plain = build_examples(tok, items, fmt, labels)
    fo = build_examples(tok, items, fmt, labels, passages=swapped)
    for it, a, b, new in zip(items, plain, fo, swapped):
        assert [x for x in a.labels if x != -100] == [x for x in b.labels if x != -100]  # same gold label
        text = tok.decode(b.input_ids)
        assert new in text and it.passage not in text
        assert it.question in text and all(o in text for o in it.options)
    assert swapped_passages(items, seed=3) != [it.passage for it in items]


def test_deterministic_per_seed_and_independent_of_other_languages(train_items):
    a, b = swapped_passages(train_items, 7), swapped_passages(train_items, 7)
    assert a == b
    assert a != swapped_passages(train_items, 8)
    heb = [it for it in train_items if it.lang == "heb_Hebr"]
    alone = swapped_passages(heb, 7)
    together = [p for it, p in zip(train_items, a) if it.lang == "heb_Hebr"]
    assert alone == together  # adding/removing other variants does not reshuffle Hebrew
    assert swapped_passages(list(reversed(heb)), 7) == list(reversed(alone))  # nor does item order


def test_equal_texts_under_different_links_are_never_swapped_in():
    """Near-duplicate articles exist; a different link with the same text would leak the answer."""
    items = _items(["eng_Latn"])
    links = sorted({it.link for it in items})
    dup_text = next(it.passage for it in items if it.link == links[0])
    items = [replace(it, passage=dup_text) if it.link == links[1] else it for it in items]
    for seed in range(20):
        for it, new in zip(items, swapped_passages(items, seed)):
            assert new != it.passage


def test_gold_is_not_recoverable_from_the_swapped_passage():
    """In the fixtures the gold option appears verbatim in its own passage; after the swap the gold
    is no more likely to appear in the shown passage than a distractor is (no reading signal left)."""
    items = [it for it in _items(list(FIXTURE_LANGUAGES)) if it.lang in ("eng_Latn", "fra_Latn", "heb_Hebr")]
    gold_in = distractor_in = 0
    n = 0
    for seed in range(5):
        for it, new in zip(items, swapped_passages(items, seed)):
            assert it.options[it.answer - 1] in it.passage
            gold_in += it.options[it.answer - 1] in new
            distractor_in += sum(o in new for k, o in enumerate(it.options) if k != it.answer - 1) / 3
            n += 1
    assert gold_in / n < 0.2 and abs(gold_in - distractor_in) / n < 0.08, (gold_in / n, distractor_in / n)


def test_refuses_a_language_with_a_single_passage():
    items = [it for it in _items(["heb_Hebr"]) if it.link == _items(["heb_Hebr"])[0].link]
    with pytest.raises(ValueError, match="heb_Hebr"):
        swapped_passages(items, 0)

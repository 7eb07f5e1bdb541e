"""SIB-200 loading on the real data beside the project (../shared/data/sib200): counts, labels,
parallel categories and splits, text identical to pandas' reading (the authors' loader), the
category-sorted test file; malformed rows named by file and line on small temp TSVs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xlt.data.sib200 import (QUESTION, SIB_LABELS, available_languages, check_parallel_splits, hub_split,
                             load_labels, load_language, load_split, load_tsv)
from xlt.errors import ConfigError

SIB_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sib200"
PARALLEL = ["eng_Latn", "heb_Hebr", "mlt_Latn"]


@pytest.fixture(scope="module")
def sib_dir() -> Path:
    """The real SIB-200 folder (skip cleanly when absent)."""
    if not (SIB_DIR / "eng_Latn" / "train.tsv").exists():
        pytest.skip(f"real SIB-200 data not found at {SIB_DIR} (see ../shared/data/README.md)")
    return SIB_DIR


def test_labels_file_matches_constant(sib_dir):
    assert load_labels(sib_dir / "labels.txt") == SIB_LABELS
    assert len(SIB_LABELS) == 7 and SIB_LABELS[0] == "science/technology" and SIB_LABELS[-1] == "geography"


@pytest.mark.parametrize("split,n", [("train", 701), ("dev", 99), ("test", 204)])
def test_row_counts_and_item_layout(sib_dir, split, n):
    items = load_split(sib_dir, "heb_Hebr", split)
    assert len(items) == n
    it = items[0]
    assert it.lang == "heb_Hebr" and it.question == QUESTION and it.options == SIB_LABELS
    assert it.question_number == 0 and it.link == f"sib200/{it.flores_ids[0]}" and len(it.flores_ids) == 1
    assert all(1 <= x.answer <= 7 for x in items) and len({x.key for x in items}) == n


def test_available_languages(sib_dir):
    codes = available_languages(sib_dir)
    assert len(codes) == 200 and {"heb_Hebr", "mlt_Latn", "amh_Ethi", "arb_Arab", "eng_Latn"} <= set(codes)


def test_parallel_categories_and_disjoint_splits(sib_dir):
    data = {code: load_language(sib_dir, code) for code in PARALLEL}
    check_parallel_splits(data)
    for code, splits in data.items():
        ids = [set(i for it in items for i in it.flores_ids) for items in splits.values()]
        assert sum(map(len, ids)) == len(set.union(*ids)) == 1004, code
    by_id = [{it.flores_ids[0]: it.answer for s in data[c].values() for it in s} for c in PARALLEL]
    assert by_id[0] == by_id[1] == by_id[2]


def test_check_parallel_splits_names_both_languages(sib_dir):
    from dataclasses import replace

    eng, heb = load_language(sib_dir, "eng_Latn"), load_language(sib_dir, "heb_Hebr")
    wrong = dict(heb, train=[replace(heb["train"][0], answer=heb["train"][0].answer % 7 + 1), *heb["train"][1:]])
    with pytest.raises(ValueError, match=r"in eng_Latn but .* in heb_Hebr"):
        check_parallel_splits({"eng_Latn": eng, "heb_Hebr": wrong})
    moved = dict(heb, train=heb["train"][1:], test=[heb["train"][0], *heb["test"]])
    with pytest.raises(ValueError, match=r"in train of eng_Latn but in test of heb_Hebr"):
        check_parallel_splits({"eng_Latn": eng, "heb_Hebr": moved})
    with pytest.raises(ValueError, match=r"heb_Hebr: index_id \d+ is in both train and dev"):
        check_parallel_splits({"heb_Hebr": dict(heb, dev=[*heb["dev"], heb["train"][0]])})


@pytest.mark.parametrize("code", ["eng_Latn", "heb_Hebr", "arb_Arab"])
def test_text_equals_pandas_for_all_rows(sib_dir, code):
    pd = pytest.importorskip("pandas")
    for split in ("train", "dev", "test"):
        df = pd.read_csv(sib_dir / code / f"{split}.tsv", sep="\t")  # how the SIB-200 authors load it
        items = load_split(sib_dir, code, split)
        assert [(it.flores_ids[0], it.options[it.answer - 1], it.passage) for it in items] == \
            list(zip(df.index_id.astype(int), df.category, df.text)), (code, split)


def test_quoted_hebrew_row(sib_dir):
    # heb_Hebr/train.tsv line 3 is  403<TAB>science/technology<TAB>"""...להיראות."""  -> the text is "...".
    it = load_split(sib_dir, "heb_Hebr", "train")[1]
    assert it.flores_ids == (403,) and it.passage.startswith('"בתחילת') and it.passage.endswith('להיראות."')
    assert '""' not in it.passage


def test_test_file_is_sorted_by_category(sib_dir):
    # A fact that subset code must handle (draw at random or stratified, never "the first n").
    items = load_split(sib_dir, "eng_Latn", "test")
    answers = [it.answer for it in items]
    assert answers == sorted(answers)
    assert answers[:51] == [1] * 51 and answers[51] == 2


def test_missing_language_and_bad_split(sib_dir, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown SIB-200 split 'validation'; valid choices: dev, test, train"):
        load_split(sib_dir, "eng_Latn", "validation")
    with pytest.raises(ConfigError, match=r"unknown SIB-200 language .* 'xxx_Latn'; valid choices: .*eng_Latn"):
        load_split(sib_dir, "xxx_Latn", "train")
    with pytest.raises(ConfigError, match="does not exist"):
        load_split(tmp_path / "nowhere", "eng_Latn", "train")


def test_hub_split_names():
    assert [hub_split(s) for s in ("train", "dev", "test")] == ["train", "validation", "test"]
    with pytest.raises(ConfigError, match="valid choices: dev, test, train"):
        hub_split("validation")


def test_hub_path_calls_load_dataset(monkeypatch):
    import datasets

    from xlt.data.sib200 import load_hub

    calls = []

    def fake(path, name=None, split=None, revision=None, **kw):
        calls.append((path, name, split, revision))
        return datasets.Dataset.from_list([{"index_id": 7, "category": "travel", "text": "A sentence."}])

    monkeypatch.setattr(datasets, "load_dataset", fake)
    items = load_hub("Davlan/sib200", "mlt_Latn", "dev", revision="r1")
    assert calls == [("Davlan/sib200", "mlt_Latn", "validation", "r1")]
    assert items[0].flores_ids == (7,) and items[0].answer == 2 and items[0].lang == "mlt_Latn"


HEAD = "index_id\tcategory\ttext\n"


@pytest.mark.parametrize("body,line,message", [
    (HEAD + "1\ttravel\tok\n2\ttravel\n", 3, r"expected 3 tab-separated columns .* got 2"),
    (HEAD + "1\ttravel\tok\n2\ttravel\tx\textra\n", 3, r"expected 3 tab-separated columns .* got 4"),
    (HEAD + "1\ttravel\tok\nabc\ttravel\tx\n", 3, r"index_id must be an integer .* got 'abc'"),
    (HEAD + "1\ttravel\tok\n2\tcooking\tx\n", 3, r"unknown category 'cooking'; valid: science/technology, travel"),
    (HEAD + "1\ttravel\tok\n\n1\tsports\tx\n", 4, r"duplicate index_id 1 \(first at line 2\)"),
    (HEAD + '1\ttravel\t"two\nlines"\n1\tsports\tx\n', 4, r"duplicate index_id 1"),
    ("1\ttravel\tok\n", 1, r"expected the header \['index_id', 'category', 'text'\]"),
    ("", 1, r"empty file; expected the header"),
    (HEAD + "1\ttravel\t\n", 2, r"empty text for index_id 1"),
])
def test_malformed_rows_name_file_and_line(tmp_path, body, line, message):
    path = tmp_path / "train.tsv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}:{line}: {message}"):
        load_tsv(path, "eng_Latn")


def test_quoted_fields_and_line_numbers(tmp_path):
    path = tmp_path / "dev.tsv"
    path.write_text(HEAD + '5\thealth\t"""Quoted"" text."\n6\tsports\tplain "inner" quotes\n', encoding="utf-8")
    items = load_tsv(path, "eng_Latn")
    assert [it.passage for it in items] == ['"Quoted" text.', 'plain "inner" quotes']
    assert [it.answer for it in items] == [5, 4]

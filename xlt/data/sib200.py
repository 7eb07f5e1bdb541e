"""Load SIB-200 (topic classification, 7 classes, FLORES-200 sentences) as multiple-choice Items.

Each sentence becomes one Item: the passage is the sentence, the question is the fixed English
``QUESTION`` and the options are the English category names, so xlt.data.prompts renders it like a
Belebele item with K = 7. ``link = "sib200/<index_id>"`` and ``flores_ids = (index_id,)``: the same
sentence in every language (rows are parallel across languages by ``index_id``).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterable, Mapping

from xlt.data.items import Item
from xlt.errors import ConfigError, unknown_choice

# As in the dataset's labels.txt (dadelani/sib-200 data/annotated/labels.txt), in file order;
# load_split reads the folder's own labels.txt when it has one (tests check the two agree).
SIB_LABELS: tuple[str, ...] = ("science/technology", "travel", "politics", "sports", "health",
                               "entertainment", "geography")
QUESTION = "What is the topic of this text?"
SPLITS = ("train", "dev", "test")
HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}
HEADER = ["index_id", "category", "text"]
LABELS_FILE = "labels.txt"


def load_labels(path: Path) -> tuple[str, ...]:
    """The categories of a labels file (one a line, blank lines ignored), in file order."""
    labels = tuple(line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip())
    if len(set(labels)) != len(labels) or not labels:
        raise ValueError(f"{path}: labels must be non-empty and distinct, got {labels}")
    return labels


def make_item(lang: str, index_id: int, category: str, text: str, categories: tuple[str, ...],
              where: str = "") -> Item:
    """One SIB-200 row as an Item; an unknown category raises ValueError naming ``where``."""
    if category not in categories:
        raise ValueError(f"{where}: unknown category {category!r}; valid: {', '.join(categories)}")
    return Item(lang=lang, link=f"sib200/{index_id}", question_number=0, passage=text, question=QUESTION,
                options=tuple(categories), answer=1 + categories.index(category), flores_ids=(index_id,))


def load_tsv(path: Path, lang: str, categories: Iterable[str] = SIB_LABELS) -> list[Item]:
    """Read one SIB-200 TSV file (header ``index_id  category  text``) into Items, in file order.

    Parsed with csv's ``excel-tab`` dialect (fields may be quoted, quotes doubled inside), which gives the
    same text as the SIB-200 authors' ``pandas.read_csv(sep="\\t")`` on every released file (e.g.
    heb_Hebr/train.tsv line 3, ``\"\"\"...\"\"\"`` -> ``"..."``). Blank lines are skipped, as pandas does.
    A malformed row (missing header, wrong column count, non-integer index_id, unknown category,
    duplicate index_id, empty text) raises ValueError naming ``file:line``.
    """
    path = Path(path)
    cats = tuple(categories)
    items: list[Item] = []
    seen: dict[int, int] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, dialect="excel-tab")
        start, header = 1, None
        try:
            for row in reader:
                lineno, start = start, reader.line_num + 1  # a quoted field may span lines
                where = f"{path}:{lineno}"
                if not row:
                    continue
                if header is None:
                    header = row
                    if [c.strip() for c in row] != HEADER:
                        raise ValueError(f"{where}: expected the header {HEADER!r} (tab-separated), got {row!r}")
                    continue
                if len(row) != 3:
                    raise ValueError(f"{where}: expected 3 tab-separated columns (index_id, category, text), "
                                     f"got {len(row)}: {row!r}"[:400])
                try:
                    index_id = int(row[0])
                except ValueError:
                    raise ValueError(f"{where}: index_id must be an integer (the FLORES sentence id), "
                                     f"got {row[0]!r}") from None
                if index_id in seen:
                    raise ValueError(f"{where}: duplicate index_id {index_id} (first at line {seen[index_id]})")
                if not row[2].strip():
                    raise ValueError(f"{where}: empty text for index_id {index_id}")
                seen[index_id] = lineno
                items.append(make_item(lang, index_id, row[1], row[2], cats, where))
        except csv.Error as err:
            raise ValueError(f"{path}:{start}: malformed TSV ({err})") from None
    if header is None:
        raise ValueError(f"{path}:1: empty file; expected the header {HEADER!r}")
    return items


def available_languages(dir: Path) -> list[str]:
    """Codes in a SIB-200 folder that have all three split files (train/dev/test.tsv), sorted."""
    root = Path(dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and all((p / f"{s}.tsv").is_file() for s in SPLITS))


def _categories(root: Path) -> tuple[str, ...]:
    labels = root / LABELS_FILE
    return load_labels(labels) if labels.is_file() else SIB_LABELS


def load_split(dir: Path, code: str, split: str) -> list[Item]:
    """One split (train, dev or test) of one language from a local SIB-200 folder.

    Categories come from the folder's labels.txt when present (else ``SIB_LABELS``). An unknown split
    or a language the folder lacks raises ConfigError naming the valid choices.
    """
    if split not in SPLITS:
        raise unknown_choice("SIB-200 split", split, SPLITS)
    root = Path(dir)
    if not root.is_dir():
        raise ConfigError(f"SIB-200 folder {str(root)!r} does not exist")
    path = root / code / f"{split}.tsv"
    if not path.is_file():
        have = available_languages(root)
        if code in have:  # cannot happen (all three splits are required), kept for a clear message
            raise ConfigError(f"{path} is missing")
        raise unknown_choice(f"SIB-200 language (in {root})", code, have, limit=len(have))
    return load_tsv(path, code, _categories(root))


def load_language(dir: Path, code: str) -> dict[str, list[Item]]:
    """All three splits of one language: {"train": [...], "dev": [...], "test": [...]}."""
    return {split: load_split(dir, code, split) for split in SPLITS}


def hub_split(split: str) -> str:
    """The hub dataset's name for a split: dev -> validation (train and test unchanged)."""
    if split not in HUB_SPLITS:
        raise unknown_choice("SIB-200 split", split, SPLITS)
    return HUB_SPLITS[split]


def items_from_rows(code: str, rows: Iterable[Mapping[str, Any]], source: str,
                    categories: Iterable[str] = SIB_LABELS) -> list[Item]:
    """Items from rows with index_id, category and text (the hub's columns); duplicates are rejected."""
    cats, items, seen = tuple(categories), [], set()
    for i, row in enumerate(rows):
        where = f"{source}:{i}"
        missing = [c for c in HEADER if row.get(c) is None]
        if missing:
            raise ValueError(f"{where}: missing column(s) {', '.join(missing)}; expected {', '.join(HEADER)}")
        index_id = int(row["index_id"])
        if index_id in seen:
            raise ValueError(f"{where}: duplicate index_id {index_id}")
        seen.add(index_id)
        items.append(make_item(code, index_id, str(row["category"]), str(row["text"]), cats, where))
    return items


def load_hub(hub_id: str, code: str, split: str, revision: str | None = None) -> list[Item]:
    """One split of one language from the Hugging Face hub (e.g. ``Davlan/sib200``; needs the network)."""
    from datasets import load_dataset

    hub = hub_split(split)
    ds = load_dataset(hub_id, code, split=hub, revision=revision)
    return items_from_rows(code, ds, f"{hub_id}:{code}:{hub}")


def check_parallel_splits(data: Mapping[str, Mapping[str, list[Item]]]) -> None:
    """Check ``{code: {split: items}}`` is leak-free and parallel, raising ValueError otherwise.

    Within a language the splits' index_ids must be disjoint; across languages the same index_id
    must have the same category and sit in the same split (a sentence in train in one language and
    in test in another would be a translation leak). Messages name both languages (or splits).
    """
    first: dict[int, tuple[str, str, int]] = {}  # index_id -> (code, split, answer)
    for code, splits in data.items():
        where: dict[int, str] = {}
        for split, items in splits.items():
            for it in items:
                (fid,) = it.flores_ids
                if fid in where:
                    raise ValueError(f"{code}: index_id {fid} is in both {where[fid]} and {split}; "
                                     "splits must be disjoint")
                where[fid] = split
                c0, s0, a0 = first.setdefault(fid, (code, split, it.answer))
                if a0 != it.answer:
                    raise ValueError(f"index_id {fid}: category {it.options[a0 - 1]!r} in {c0} but "
                                     f"{it.options[it.answer - 1]!r} in {code}; the languages are not parallel")
                if s0 != split:
                    raise ValueError(f"index_id {fid}: in {s0} of {c0} but in {split} of {code}; "
                                     "the languages' splits are not parallel")

"""Tasks: what an item is, where it comes from, and how a condition's train/evaluation split is drawn.

``belebele`` (4-way reading comprehension; items from the ``data`` group) and ``sib200`` (7-way topic
classification with its own train split). A condition evaluates ``task`` and trains on ``train_task``
(default: the same task). When the two differ, both come from FLORES-200, so evaluated items sharing a
FLORES sentence with a training item are found (``xlt.data.flores``) and reported or dropped.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Iterable

from omegaconf import DictConfig

from xlt.data.items import Item
from xlt.data.splits import Split, make_split
from xlt.config.schema import DataConf
from xlt.errors import ConfigError, unknown_choice

log = logging.getLogger(__name__)

TASKS = ("belebele", "sib200")
TRAIN_FROM = ("heldin", "own")
LEAK_MODES = ("report", "drop")
SUBSETS = ("random", "stratified")


@dataclass(frozen=True)
class Task:
    """One task's settings (conf/task/<name>.yaml)."""

    name: str
    n_labels: int
    train_from: str = "heldin"       # heldin: held-in items of the evaluation set | own: the task's train split
    source: str | None = None         # sib200: local | hub
    dir: str | None = None
    hub_id: str | None = None
    revision: str | None = None
    eval_split: str | None = None
    train_split: str | None = None
    answer_names: bool = False        # CoT: an answer stated by option name ("travel") counts

    @classmethod
    def from_cfg(cls, node: Any) -> "Task":
        """Build and check a task from its config node."""
        fields = {f.name for f in dataclasses.fields(cls)}
        task = cls(**{k: v for k, v in dict(node).items() if k in fields})
        if task.name not in TASKS:
            raise unknown_choice("task", task.name, TASKS)
        if task.train_from not in TRAIN_FROM:
            raise unknown_choice(f"task.train_from of {task.name}", task.train_from, TRAIN_FROM)
        if task.name == "belebele" and task.train_from != "heldin":
            raise ConfigError("task belebele has no training split: train_from must be heldin "
                              "(or train on another task: train_task=sib200)")
        if task.name == "sib200" and task.source not in ("local", "hub"):
            raise ConfigError(f"task.source must be local or hub for sib200, got {task.source!r}")
        return task


def tasks_of(cfg: DictConfig) -> tuple[Task, Task]:
    """(evaluated task, training task) of a composed config."""
    task = Task.from_cfg(cfg.task)
    train = cfg.train_task
    return task, (Task.from_cfg(train) if train is not None else task)


def available_languages(task: Task, data_cfg: DataConf) -> list[str]:
    """Variants the task's configured source can provide."""
    if task.name == "belebele":
        from xlt.data.belebele import available_languages as belebele_languages

        return belebele_languages(data_cfg)
    if task.source == "hub":
        from xlt.languages import codes_in

        return list(codes_in("sib200"))
    from pathlib import Path

    from xlt.data.sib200 import available_languages as sib_languages

    if not Path(str(task.dir)).is_dir():
        raise ConfigError(f"task.dir {task.dir!r} is not a folder (SIB-200: <dir>/<code>/{{train,dev,test}}.tsv)")
    return sib_languages(task.dir)


def check_available(task: Task, data_cfg: DataConf, codes: Iterable[str]) -> None:
    """Fail before any model loads when a needed variant is missing from the task's source."""
    if task.name == "belebele":
        from xlt.data.belebele import check_available as belebele_check

        belebele_check(data_cfg, codes)
        return
    have = set(available_languages(task, data_cfg))
    missing = [c for c in codes if c not in have]
    if missing:
        shown = ", ".join(sorted(have)[:30]) + (" ..." if len(have) > 30 else "")
        raise ConfigError(f"task sib200 ({task.dir}) has no {', '.join(missing)}; available: {shown}")


def check_needed(task: Task, train_task: Task, data_cfg: DataConf, sources: list[str], targets: list[str],
                 trains: bool) -> None:
    """Every variant a condition reads is available: targets in the evaluated task, sources in the
    task they train from."""
    if not trains:
        check_available(task, data_cfg, targets)
    elif train_task.name == task.name:
        check_available(task, data_cfg, [*sources, *targets])
    else:
        check_available(task, data_cfg, targets)
        check_available(train_task, data_cfg, sources)


def load_items(task: Task, data_cfg: DataConf, codes: Iterable[str], which: str) -> dict[str, list[Item]]:
    """Items per variant: ``which="eval"`` the evaluation split, ``"train"`` the task's train split."""
    codes = list(dict.fromkeys(codes))
    check_available(task, data_cfg, codes)
    if task.name == "belebele":
        from xlt.data.belebele import load_languages

        return load_languages(data_cfg, codes)
    split = task.eval_split if which == "eval" else task.train_split
    if task.source == "hub":
        from xlt.data.sib200 import load_hub

        return {c: load_hub(str(task.hub_id), c, str(split), task.revision) for c in codes}
    from xlt.data.sib200 import load_split

    return {c: load_split(task.dir, c, str(split)) for c in codes}


@dataclass
class TaskSplit:
    """A condition's split plus what the cross-task leak check found (None: one task, no check needed)."""

    split: Split
    leak: dict[str, Any] | None = None


def build_split(task: Task, train_task: Task, data_cfg: DataConf, sources: list[str],
                targets: list[str], trains: bool) -> TaskSplit:
    """Load the items a condition needs and draw its leak-free split (held-out items per target)."""
    d = data_cfg
    heldin = trains and train_task.name == task.name and task.train_from == "heldin"
    eval_data = load_items(task, d, [*targets, *(sources if heldin else [])], "eval")
    pool = None
    if trains and not heldin:
        which = "train" if train_task.train_from == "own" else "eval"
        pool = load_items(train_task, d, sources, which)
    split = make_split(eval_data, sources if trains else [], targets, d.split, int(d.n_eval), int(d.split_seed),
                       d.n_train, int(d.n_folds), int(d.fold), str(d.subset), train_pool=pool)
    if not trains or heldin:
        return TaskSplit(split)
    leak = leak_check(task, train_task, d, split)
    if train_task.name == task.name and leak["n_overlapping"]:
        raise ValueError(f"task {task.name}: {leak['n_overlapping']} evaluated items share a FLORES sentence with "
                         "the task's own training split; the split files are not disjoint")
    if d.leak == "drop" and leak["n_overlapping"]:
        drop = set(map(tuple, leak["overlapping_keys"]))
        split = Split(train=split.train, eval={t: [it for it in v if it.key not in drop] for t, v in split.eval.items()},
                      eval_keys=[k for k in split.eval_keys if k not in drop])
        leak["dropped"] = len(drop)
    return TaskSplit(split, leak)


def leak_check(task: Task, train_task: Task, data_cfg: DataConf, split: Split) -> dict[str, Any]:
    """Evaluated items that share a FLORES-200 sentence id with any training item, in any language."""
    from xlt.data.flores import overlap

    train, evals = split.train, [it for items in split.eval.values() for it in items]
    if task.name != train_task.name:  # one side is Belebele: its passages get SIB-200's sentence ids, once
        sib = task if task.name == "sib200" else train_task
        ids = passage_ids(sib, data_cfg, {it.lang for it in (*train, *evals) if not it.flores_ids})
        train, evals = (_annotated(items, ids) for items in (train, evals))
    hit = overlap(train, evals)
    keys = sorted({it.key for it in hit})
    shared = sorted({i for it in hit for i in it.flores_ids} & {i for it in train for i in it.flores_ids})
    out = {"train_task": train_task.name, "eval_task": task.name, "n_train": len(train),
           "n_eval_items": len(split.eval_keys), "n_overlapping": len(keys),
           "overlapping_keys": [list(k) for k in keys], "shared_flores_ids": shared, "mode": str(data_cfg.leak)}
    if keys:
        log.warning("cross-task leak: %d of %d evaluated %s items share a FLORES-200 sentence with the %s training "
                    "items (data.leak=%s)", len(keys), len(split.eval_keys), task.name, train_task.name, data_cfg.leak)
    return out


def _annotated(items: list[Item], ids: dict[str, tuple[int, ...]]) -> list[Item]:
    from xlt.data.flores import with_flores_ids

    return [it if it.flores_ids else with_flores_ids([it], ids)[0] for it in items]


def passage_ids(sib: Task, data_cfg: DataConf, langs: set[str]) -> dict[str, tuple[int, ...]]:
    """Belebele link -> FLORES ids of the SIB-200 sentences its passage contains, matched in every variant
    both sources have among ``langs`` and a few pivots (the identity does not rest on one language's string)."""
    from xlt.data.belebele import load_languages
    from xlt.data.flores import passage_sentence_ids

    both = set(available_languages(Task("belebele", 4), data_cfg)) & set(available_languages(sib, data_cfg))
    both &= langs | {"eng_Latn", "arb_Arab", "fra_Latn"}
    if not both:
        raise ConfigError("cross-task leak check: no variant is in both Belebele and SIB-200 sources "
                          f"({data_cfg.source}, {sib.dir}); it needs at least one (e.g. eng_Latn)")
    sib_items: dict[str, list[Item]] = {}
    for split in ("train", "dev", "test"):
        part = load_items(dataclasses.replace(sib, eval_split=split), data_cfg, sorted(both), "eval")
        for code, its in part.items():
            sib_items.setdefault(code, []).extend(its)
    return passage_sentence_ids(load_languages(data_cfg, sorted(both)), sib_items)

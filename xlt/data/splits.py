"""Train/held-out splits that never leak: Belebele is parallel, so the same (link, question_number)
is the same item in every language. Held-out items are chosen once per data config (not per
condition seed), so every regime and model of a sweep is scored on the same items (paired tests).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from xlt.data.items import Item
from xlt.errors import ConfigError


@dataclass
class Split:
    """Training items (all source variants together) and held-out items per target language."""

    train: list[Item]
    eval: dict[str, list[Item]]
    eval_keys: list[tuple[str, int]] = field(default_factory=list)

    def leaked_passages(self) -> set[str]:
        """Passages (links) present both in training and in evaluation (must be empty for passage splits)."""
        return {it.link for it in self.train} & {k[0] for k in self.eval_keys}

    def leaked_items(self) -> set[tuple[str, int]]:
        """Items present both in training and in evaluation, in any language (must always be empty)."""
        return {it.key for it in self.train} & set(self.eval_keys)


def common_keys(data: dict[str, list[Item]]) -> list[tuple[str, int]]:
    """Keys present in every language, in a canonical (sorted) order independent of file row order."""
    sets = [{it.key for it in items} for items in data.values()]
    return sorted(set.intersection(*sets)) if sets else []


def check_parallel(data: dict[str, list[Item]]) -> None:
    """Items with the same key must have the same gold answer in every language (Belebele is
    parallel); a mismatch means files were aligned wrongly (e.g. by row order)."""
    gold: dict[tuple[str, int], tuple[str, int]] = {}
    for code, items in data.items():
        for it in items:
            first = gold.setdefault(it.key, (code, it.answer))
            if first[1] != it.answer:
                raise ValueError(f"item {it.key}: gold answer {first[1]} in {first[0]} but {it.answer} in {code}; "
                                 "the languages are not parallel")


def _passages(keys: list[tuple[str, int]]) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {}
    for key in keys:
        out.setdefault(key[0], []).append(key)
    return out


def stratified_sample(keys: list[tuple[str, int]], gold: dict[tuple[str, int], int], n: int,
                      rng: random.Random) -> list[tuple[str, int]]:
    """``n`` keys with each gold label represented in proportion to its share of ``keys``
    (largest-remainder allocation; ties broken at random), drawn at random within each label."""
    by_label: dict[int, list[tuple[str, int]]] = {}
    for key in keys:
        by_label.setdefault(gold[key], []).append(key)
    labels = sorted(by_label)
    quota = {lab: n * len(by_label[lab]) / len(keys) for lab in labels}
    take = {lab: int(quota[lab]) for lab in labels}
    order = sorted(labels, key=lambda lab: (-(quota[lab] - take[lab]), rng.random()))
    for lab in order[: n - sum(take.values())]:
        take[lab] += 1
    return sorted(k for lab in labels for k in rng.sample(by_label[lab], take[lab]))


def choose_eval_keys(keys: list[tuple[str, int]], kind: str, n_eval: int, split_seed: int,
                     n_folds: int = 5, fold: int = 0, subset: str = "random",
                     gold: dict[tuple[str, int], int] | None = None) -> list[tuple[str, int]]:
    """Pick held-out keys: by item (paper), by whole passages (passage), or one passage fold (kfold).

    ``subset="stratified"`` (items only: split=paper, or a task with one item per passage) keeps each
    gold label's share; ``"random"`` draws uniformly. Never the first n rows (SIB-200's test files are
    sorted by category)."""
    rng = random.Random(split_seed)
    passages = _passages(keys)
    one_per_passage = all(len(v) == 1 for v in passages.values())
    if n_eval > len(keys):
        raise ConfigError(f"data.n_eval={n_eval} but only {len(keys)} parallel items exist")
    if subset == "stratified":
        if kind == "kfold" or (kind == "passage" and not one_per_passage):
            raise ConfigError("data.subset=stratified draws items, not passages: use data.split=paper "
                              "(or a task with one item per passage, e.g. task=sib200)")
        return stratified_sample(keys, gold or {}, n_eval, rng)
    if kind == "paper" or (kind == "passage" and one_per_passage):
        return sorted(rng.sample(keys, n_eval))
    links = sorted(passages)
    rng.shuffle(links)
    if kind == "kfold":
        return sorted(k for link in links[fold::n_folds] for k in passages[link])
    chosen: list[tuple[str, int]] = []
    # Whole passages, skipping one that would overshoot, so n_eval is hit exactly when the
    # 1- and 2-question passages allow it (Belebele: 100 held out, 800 left for training).
    for link in links:
        if len(chosen) + len(passages[link]) <= n_eval:
            chosen.extend(passages[link])
        if len(chosen) == n_eval:
            break
    if len(chosen) < n_eval:  # only 2-question passages left: overshoot by one question
        rest = [link for link in links if passages[link][0] not in set(chosen)]
        for link in rest:
            if len(chosen) >= n_eval:
                break
            chosen.extend(passages[link])
    if len(chosen) < n_eval:
        raise ConfigError(f"data.n_eval={n_eval} but only {len(chosen)} parallel items exist")
    return sorted(chosen)


def make_split(data: dict[str, list[Item]], sources: list[str], targets: list[str], kind: str,
               n_eval: int, split_seed: int = 0, n_train: int | None = None,
               n_folds: int = 5, fold: int = 0, subset: str = "random",
               train_pool: dict[str, list[Item]] | None = None) -> Split:
    """Build a leak-free split.

    Held-out keys are drawn from the items parallel across the *target* languages only, so a
    baseline and every fine-tuned condition (any source) score the same items; training uses
    every source-variant item whose key (paper) or passage (passage, kfold) is not held out, in any
    language. ``n_train`` caps training items per source variant (deterministically).
    ``train_pool`` (a task's own training split, or another task's items) replaces the held-in items:
    training then draws from it, and items whose key is held out are still excluded.
    """
    involved = {code: data[code] for code in dict.fromkeys([*sources, *targets]) if code in data}
    check_parallel(involved)
    gold = {it.key: it.answer for t in targets for it in data[t]}
    eval_keys = choose_eval_keys(common_keys({t: data[t] for t in targets}), kind, n_eval, split_seed,
                                 n_folds, fold, subset, gold)
    held_keys = set(eval_keys)
    held_links = {k[0] for k in eval_keys}
    by_key = {code: {it.key: it for it in items} for code, items in involved.items()}
    evals = {t: [by_key[t][k] for k in eval_keys] for t in targets}
    train: list[Item] = []
    for src in sources:
        items = (train_pool or data)[src]
        pool = [it for it in sorted(items, key=lambda it: it.key)
                if it.key not in held_keys and (kind == "paper" or it.link not in held_links)]
        if n_train is not None:
            if n_train > len(pool):
                raise ConfigError(f"data.n_train={n_train} but {src} has only {len(pool)} items outside the held-out set")
            pool = sorted(random.Random(split_seed + 1).sample(pool, n_train), key=lambda it: it.key)
        train.extend(pool)
    return Split(train=train, eval=evals, eval_keys=eval_keys)

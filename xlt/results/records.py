"""Typed records of the results store, one per file: ``condition.json`` is a :class:`ConditionRecord`,
``metrics.json`` a :class:`MetricsRecord` (a :class:`LanguageMetrics` per target), each line of
``predictions.jsonl`` a :class:`Prediction`.

Versions: the store writes ``schema_version`` (:data:`SCHEMA_VERSION`) into every file, in
``predictions.jsonl`` as a field of every line (so pandas still reads the file as one table). A file
without it predates versions and is version 1, read as it always was; version 1's ``metrics.json``
also repeated the condition's identity (``condition``), which version 2 keeps in ``condition.json``
only. A version newer than this code knows is refused (:class:`NewerSchemaError`). ``to_dict`` gives a
record's content without the version (the store adds it); ``from_dict`` checks and drops it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

SCHEMA_VERSION = 2
VERSION_KEY = "schema_version"


class NewerSchemaError(RuntimeError):
    """A store file written by a newer xlt than this one (not a ValueError: callers that skip unreadable
    files must not skip this one)."""


def check_version(data: Mapping[str, Any], where: str) -> int:
    """The schema version of a file's content (1 when it has none); raises NewerSchemaError, one line
    naming ``where``, for a version this code does not know."""
    version = data.get(VERSION_KEY, 1)
    if not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        raise NewerSchemaError(f"{where}: schema_version {version!r} is not one this xlt reads "
                               f"(1..{SCHEMA_VERSION}); update xlt to read this store")
    return version


def _fields(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _known(cls, data: Mapping[str, Any], where: str, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """``data`` without the version and ``ignore``d keys; a key the record does not have is an error
    (nothing in a store file is dropped silently)."""
    check_version(data, where)
    body = {k: v for k, v in data.items() if k != VERSION_KEY and k not in ignore}
    unknown = sorted(set(body) - _fields(cls))
    if unknown:
        raise ValueError(f"{where}: unknown {cls.__name__} field(s) {', '.join(unknown)}")
    return body


@dataclass(frozen=True)
class ConditionRecord:
    """``condition.json``: what a condition is (identity tags, the resolved config), written before any work."""

    id: str
    task: str | None = None          # None: a store from before tasks existed (Belebele)
    model: str | None = None
    source: str | None = None        # None for a baseline (no training)
    regime: str | None = None
    seed: int | None = None
    train_task: str | None = None    # None for a baseline, and in stores from before tasks existed
    source_variants: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    identity: dict[str, Any] = field(default_factory=dict)   # what the condition id hashes
    checkpoint: dict[str, Any] | None = None                 # None in stores from before checkpoints
    code_version: dict[str, Any] | None = None               # xlt.sweep.code_version; None in stores from before
    config: dict[str, Any] = field(default_factory=dict)     # the resolved Hydra config

    def to_dict(self) -> dict[str, Any]:
        """The JSON content (without the version)."""
        out = dataclasses.asdict(self)
        out.update(source_variants=list(self.source_variants), targets=list(self.targets))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "condition record") -> "ConditionRecord":
        """Read the JSON content of any known version."""
        body = _known(cls, data, where)
        if "id" not in body:
            raise ValueError(f"{where}: a condition record needs its id")
        return cls(**{**body, "source_variants": tuple(body.get("source_variants", ())),
                      "targets": tuple(body.get("targets", ()))})


@dataclass
class Prediction:
    """One scored item: a line of ``predictions.jsonl``."""

    lang: str
    link: str
    question_number: int
    logprobs: list[float]          # log P(label_k | prompt), k = 1..K
    pred: int                      # 1..K
    gold: int
    method: str                    # "label-token" or "continuation"
    extra: dict = field(default_factory=dict)  # e.g. CoT text, stated answer

    @property
    def correct(self) -> bool:
        """Whether the argmax label is the gold one."""
        return self.pred == self.gold

    def to_dict(self) -> dict[str, Any]:
        """The JSON row: the fields, ``correct``, then ``extra``'s keys as columns (without the version)."""
        return {"lang": self.lang, "link": self.link, "question_number": self.question_number,
                "logprobs": self.logprobs, "pred": self.pred, "gold": self.gold,
                "correct": self.correct, "method": self.method, **self.extra}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "prediction") -> "Prediction":
        """Read a row of any known version; keys that are not fields go back into ``extra``."""
        check_version(data, where)
        names = _fields(cls) - {"extra"}
        missing = sorted(names - set(data))
        if missing:
            raise ValueError(f"{where}: a prediction needs {', '.join(missing)}")
        pred = cls(**{k: data[k] for k in names},
                   extra={k: v for k, v in data.items() if k not in names and k not in ("correct", VERSION_KEY)})
        if "correct" in data and bool(data["correct"]) != pred.correct:
            raise ValueError(f"{where}: correct={data['correct']} but pred={pred.pred}, gold={pred.gold}")
        return pred


@dataclass(frozen=True)
class CotRates:
    """How a target's chain-of-thought answers read (``xlt.scoring.cot``)."""

    parse_rate: float                     # share of generations that state an answer
    stated_agrees: float | None           # share of stated answers equal to the scored label; None: none stated
    truncated_rate: float | None = None   # share cut off at max_new_tokens; None: not recorded

    @property
    def parse_failure_rate(self) -> float:
        """1 - parse_rate."""
        return 1 - self.parse_rate


@dataclass(frozen=True)
class LanguageMetrics:
    """One target's entry of ``metrics.json``'s ``per_lang``."""

    accuracy: float
    n: int
    ci95: tuple[float, float]     # Wilson interval
    method: str                   # the scoring method of its predictions
    family: str | None            # None: a code the language registry does not know
    semitic: bool
    cot: CotRates | None = None   # CoT conditions only

    def to_dict(self) -> dict[str, Any]:
        """The JSON entry (CoT rates flattened to ``cot_*`` keys, as the store has always held them)."""
        out: dict[str, Any] = {"accuracy": self.accuracy, "n": self.n, "ci95": list(self.ci95),
                               "method": self.method}
        if self.cot is not None:
            out.update(cot_parse_rate=self.cot.parse_rate, cot_parse_failure_rate=self.cot.parse_failure_rate,
                       cot_stated_agrees=self.cot.stated_agrees)
            if self.cot.truncated_rate is not None:
                out["cot_truncated_rate"] = self.cot.truncated_rate
        out.update(family=self.family, semitic=self.semitic)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "per_lang entry") -> "LanguageMetrics":
        """Read a JSON entry."""
        body = dict(data)
        cot = None
        if "cot_parse_rate" in body:
            cot = CotRates(body.pop("cot_parse_rate"), body.pop("cot_stated_agrees", None),
                           body.pop("cot_truncated_rate", None))
            body.pop("cot_parse_failure_rate", None)  # derived
        body = _known(cls, body, where)
        lo, hi = body.pop("ci95")
        return cls(ci95=(lo, hi), cot=cot, **body)


@dataclass(frozen=True)
class MetricsRecord:
    """``metrics.json``: accuracies of one finished condition (its identity is in ``condition.json``)."""

    per_lang: dict[str, LanguageMetrics]
    family_mean: dict[str, float | None]   # mean accuracy per genus group (xlt.languages.groups)
    n_items: int
    n_train: int | None = None             # None: not recorded (tests, tools)
    n_labels: int | None = None            # None: a store from before tasks existed (4 labels)
    leak: dict[str, Any] | None = None     # the cross-task leak check, when one ran

    @property
    def accuracy(self) -> dict[str, float]:
        """Accuracy per target, in ``per_lang`` order."""
        return {lang: e.accuracy for lang, e in self.per_lang.items()}

    def to_dict(self) -> dict[str, Any]:
        """The JSON content (without the version); ``accuracy`` is written too, for readers of the file."""
        out: dict[str, Any] = {"accuracy": self.accuracy,
                               "per_lang": {lang: e.to_dict() for lang, e in self.per_lang.items()},
                               "family_mean": dict(self.family_mean), "n_items": self.n_items}
        out.update({k: v for k, v in (("n_train", self.n_train), ("n_labels", self.n_labels), ("leak", self.leak))
                    if v is not None})
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "metrics record") -> "MetricsRecord":
        """Read the JSON content of any known version (version 1's ``condition`` copy is dropped)."""
        old = check_version(data, where) == 1
        body = _known(cls, data, where, ignore=("accuracy", "condition") if old else ("accuracy",))
        per_lang = {lang: LanguageMetrics.from_dict(e, f"{where}: per_lang[{lang}]")
                    for lang, e in body.pop("per_lang").items()}
        return cls(per_lang=per_lang, **body)

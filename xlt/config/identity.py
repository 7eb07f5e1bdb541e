"""What changes a condition's results, read from the schema's ``affects`` classes (one declaration).

The condition id (``xlt.conditions``), the identity written to the store and the report's grouping of
conditions that scored the same items all derive from here; no list of keys is kept anywhere else.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any, Iterator

from omegaconf import DictConfig, OmegaConf

from xlt.config.schema import Affects, XltConf


def _node_type(tp: Any) -> type | None:
    """The dataclass inside ``tp`` (``Optional[X]`` → ``X``), or None for a leaf."""
    for candidate in (tp, *typing.get_args(tp)):
        if dataclasses.is_dataclass(candidate):
            return candidate
    return None


@functools.cache
def _fields(schema: type) -> tuple[tuple[str, Affects, type | None], ...]:
    hints = typing.get_type_hints(schema)
    return tuple((f.name, f.metadata["affects"], _node_type(hints[f.name])) for f in dataclasses.fields(schema))


@functools.cache
def _since_defaults(schema: type) -> dict[str, Any]:
    """Fields declared ``since`` (added later) and their defaults: omitted from the identity at the default."""
    return {f.name: f.default for f in dataclasses.fields(schema) if f.metadata.get("since")}


def schema_fields(schema: type = XltConf, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field]]:
    """Every field of the schema, nested ones included, as (dotted path, field)."""
    hints = typing.get_type_hints(schema)
    for f in dataclasses.fields(schema):
        yield prefix + f.name, f
        sub = _node_type(hints[f.name])
        if sub is not None:
            yield from schema_fields(sub, prefix + f.name + ".")


def classify(path: str, schema: type = XltConf) -> Affects:
    """The effective identity class of a dotted config key; ``KeyError`` when the schema does not declare
    it. A node's class other than ``results`` binds everything inside it (``regime.lora.r`` is training);
    inside an open node (``model.arch``, ``targets``) a key has the class of that node."""
    node, affects = schema, Affects.RESULTS
    for part in path.split("."):
        if node is None:
            return affects  # below a leaf node (a dict field): the leaf's class
        match = [(a, sub) for name, a, sub in _fields(node) if name == part]
        if not match:
            raise KeyError(f"config key {path!r} is not declared in xlt/config/schema.py")
        inner, node = match[0]
        affects = inner if affects is Affects.RESULTS else affects
    return affects


def check_declared(cfg: DictConfig) -> None:
    """Raise ConfigError for a key the schema does not declare (added with ``+key=value``, which Hydra
    lets through): an unclassified key would silently stay out of the condition id."""
    from xlt.errors import ConfigError

    def walk(node: dict, prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            try:
                classify(path)
            except KeyError:
                raise ConfigError(f"config key {path} is not declared in xlt/config/schema.py (its class "
                                  "decides whether it enters the condition id); remove it or declare it") from None
            if isinstance(value, dict) and not _is_open(path):
                walk(value, path + ".")

    plain = OmegaConf.to_container(cfg, resolve=False, throw_on_missing=False)
    walk({k: v for k, v in plain.items() if k != "hydra"}, "")


def _is_open(path: str) -> bool:
    """Whether ``path`` is a free-form node (``model.arch``, ``targets``): its keys are not declared."""
    node: Any = XltConf
    for part in path.split("."):
        match = [sub for name, _, sub in _fields(node) if name == part] if node is not None else []
        node = match[0] if match else None
    return node is None


def _select(schema: type, value: dict[str, Any], keep: frozenset[Affects]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, affects, sub in _fields(schema):
        if affects not in keep or name not in value:
            continue
        v = value[name]
        since = _since_defaults(schema)
        if name in since and v == since[name]:
            continue  # what every condition did before the field existed
        if sub is not None and isinstance(v, dict):
            v = _select(sub, v, keep)
            if not v:
                continue  # a node none of whose keys count here (trainer of a zero-shot condition)
        out[name] = v
    return out


def kept_classes(trains: bool, cot: bool) -> frozenset[Affects]:
    """The classes that are part of the identity of a condition that does / does not train and generate."""
    keep = {Affects.RESULTS}
    if trains:
        keep.add(Affects.TRAINING)
    if cot:
        keep.add(Affects.COT)
    return frozenset(keep)


def identity_of(cfg: DictConfig) -> dict[str, Any]:
    """The resolved sub-config that determines a condition's results (weights not yet fingerprinted)."""
    keep = kept_classes(bool(cfg.regime.train), bool(cfg.regime.cot))
    # Node by node: the root may also hold ``hydra``, whose run dir interpolates this very id.
    plain = {name: _plain(cfg[name]) for name, affects, _ in _fields(XltConf) if affects in keep and name in cfg}
    return _select(XltConf, plain, keep)


def _plain(node: Any) -> Any:
    if OmegaConf.is_config(node):
        return OmegaConf.to_container(node, resolve=True, enum_to_str=True)
    return node


def evaluation_key(identity: dict[str, Any]) -> dict[str, Any]:
    """The part of a stored identity that decides WHICH items are scored and how they are prompted: the
    ``data`` and ``task`` nodes without what only training reads. A finetuned condition is paired with
    the baseline that has the same key. Keys the schema does not know (older stores) are kept."""
    out: dict[str, Any] = {}
    for node in ("data", "task"):
        if node in identity:
            out[node] = {k: v for k, v in identity[node].items() if _evaluated(f"{node}.{k}")}
    return out


def _evaluated(path: str) -> bool:
    try:
        return classify(path) is Affects.RESULTS
    except KeyError:
        return True

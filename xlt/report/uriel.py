"""URIEL relatedness with a disk cache.

``xlt.languages.relatedness`` loads lang2vec's feature file (~18 s per process on 2 cores); a report
needs a handful of (source, target) values, so they are cached as JSON under ``$XLT_CACHE_DIR``.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)


def _cache_file() -> Path:
    return Path(os.environ.get("XLT_CACHE_DIR", ".cache/xlt")) / "uriel_relatedness.json"


def relatedness_map(source_variants: Iterable[str], targets: Iterable[str], feature_set: str = "fam") -> dict[str, float]:
    """``{target: relatedness to the closest source variant}`` (1 - URIEL cosine distance; NaN if unknown)."""
    src = sorted(set(source_variants))
    path = _cache_file()
    try:
        cache = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        cache = {}
    out, dirty = {}, False
    for t in targets:
        key = f"{feature_set}|{','.join(src)}|{t}"
        if key not in cache:
            try:
                from xlt.languages import relatedness

                cache[key] = relatedness(src, t, feature_set) if src else math.nan
            except Exception as err:  # lang2vec missing or broken: the regression says so
                log.warning("URIEL relatedness unavailable for %s: %s", t, err)
                out[t] = math.nan  # not cached: a broken install must not poison later runs
                continue
            dirty = True
        out[t] = float(cache[key]) if cache[key] is not None else math.nan
    if dirty:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v)
                                       for k, v in cache.items()}, indent=1, sort_keys=True))
            os.replace(tmp, path)
        except OSError as err:
            log.warning("could not cache URIEL values: %s", err)
    return out

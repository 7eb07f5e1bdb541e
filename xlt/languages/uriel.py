"""URIEL relatedness (lang2vec): cosine distance between family (``fam``) or other feature vectors.

lang2vec takes seconds to import and reloads its feature file on every ``get_features`` call (~18 s a
process on 2 busy cores), so the vectors of every registry language are fetched in one call, kept in
memory and cached on disk as ``$XLT_CACHE_DIR/uriel_vectors_<feature set>.json`` (default
``.cache/xlt``), keyed by the lang2vec version and the codes asked for. ``xlt.report.uriel`` caches
(source, target) relatedness values on top of this.

URIEL knows ISO 639-3 codes. Registry codes it lacks are mapped to a code it has only where ISO 639-3
relates the two (a macrolanguage and one of its members, or two members of one macrolanguage): see
:data:`URIEL_CODE_MAP`. The rest (:data:`URIEL_UNMAPPED`) have no URIEL vector: their distances are NaN,
as for Kabuverdianu before SIB-200 was added.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
import os
import sys
import types
from collections.abc import Iterable
from pathlib import Path

from xlt.languages.registry import LANGUAGES
from xlt.languages.resolve import _unknown_code

# Registry ISO 639-3 codes that URIEL (lang2vec 1.1.2) lacks, or knows without family features, mapped to
# the closest code it has with the same family features (macrolanguage <-> member).
URIEL_CODE_MAP: dict[str, str] = {
    "grn": "gug",  # Guarani (macro) -> Paraguayan Guarani (what FLORES/Belebele contains)
    "lvs": "lav",  # Standard Latvian -> Latvian (macro)
    "ltg": "lav",  # Latgalian -> Latvian (macro)
    "npi": "nep",  # Nepali (individual) -> Nepali (macro)
    "ory": "ori",  # Odia (individual) -> Oriya (macro)
    "pbt": "pst",  # Southern Pashto -> Central Pashto (the only Pashto in URIEL; both members of pus)
    "zho": "cmn",  # Chinese (macro) -> Mandarin
    "kon": "kng",  # Kongo (macro) -> Koongo
    "srd": "sro",  # Sardinian (macro) -> Campidanese Sardinian (the only Sardinian in URIEL)
    "nno": "nor",  # Norwegian Nynorsk -> Norwegian (macro); URIEL lacks nno
    "nob": "nor",  # Norwegian Bokmal -> Norwegian (macro); URIEL's nob has no family features
    "twi": "aka",  # Twi -> Akan (macro); URIEL's twi has no family features
}

# Registry ISO 639-3 codes without a URIEL vector and without an ISO-related stand-in: NaN distances.
URIEL_UNMAPPED: dict[str, str] = {
    "kea": "Kabuverdianu",
    "dzo": "Dzongkha",
    "epo": "Esperanto (constructed: no family)",
    "fur": "Friulian",
    "hne": "Chhattisgarhi",
    "kmb": "Kimbundu",
    "lim": "Limburgish",
    "lmo": "Lombard",
    "nqo": "N'Ko",
    "szl": "Silesian",
    "tum": "Tumbuka",
}


def _ensure_pkg_resources() -> None:
    """lang2vec imports ``pkg_resources`` (gone from setuptools >= 81) only for ``resource_filename``.

    Install a minimal stand-in when the real module is missing, so lang2vec works without pinning setuptools.
    """
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        shim = types.ModuleType("pkg_resources")

        def resource_filename(package: str, resource: str) -> str:
            spec = importlib.util.find_spec(package)
            assert spec is not None and spec.origin is not None, package
            return os.path.join(os.path.dirname(spec.origin), resource)

        shim.resource_filename = resource_filename  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim


def uriel_code(code: str) -> str:
    """The ISO 639-3 code URIEL is asked for (after :data:`URIEL_CODE_MAP`); a registry code or a bare
    3-letter ISO code. Raises ConfigError for anything else."""
    if code in LANGUAGES:
        iso = LANGUAGES[code].iso639_3
    elif len(code) == 3 and code.isalpha():
        iso = code
    else:
        raise _unknown_code(code)
    return URIEL_CODE_MAP.get(iso, iso)


_iso = uriel_code  # the name before the package split


def _cache_path(feature_set: str) -> Path:
    return Path(os.environ.get("XLT_CACHE_DIR", ".cache/xlt")) / f"uriel_vectors_{feature_set}.json"


def _fetch_vectors(wanted: list[str], feature_set: str) -> dict[str, list[float | int | None]]:
    """``{code: vector}`` from lang2vec for the ``wanted`` codes it knows (``None`` for ``--``)."""
    _ensure_pkg_resources()
    import lang2vec.lang2vec as l2v

    available = l2v.available_uriel_languages()
    present = [c for c in wanted if c in available]
    feats = l2v.get_features(present, feature_set)
    def cell(v: object) -> float | int | None:
        if v == "--":
            return None
        x = float(v)  # type: ignore[arg-type]
        return int(x) if x.is_integer() else x  # 0/1 family features: a compact cache file

    return {c: [cell(v) for v in feats[c]] for c in present}


@functools.lru_cache(maxsize=None)
def _uriel_vectors(feature_set: str) -> dict[str, "object"]:
    """ISO code -> numpy vector for every registry language URIEL knows (one lang2vec call per feature
    set, then the disk cache)."""
    from importlib.metadata import version

    import numpy as np

    wanted = sorted({uriel_code(code) for code in LANGUAGES})
    key = {"lang2vec": version("lang2vec"), "feature_set": feature_set, "codes": wanted}
    path = _cache_path(feature_set)
    raw = None
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("key") == key:
            raw = cached["vectors"]
    except (OSError, ValueError, KeyError, AttributeError):
        raw = None
    if raw is None:
        raw = _fetch_vectors(wanted, feature_set)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"key": key, "vectors": raw}), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only costs the next process the lang2vec load
    return {c: np.asarray([np.nan if v is None else v for v in vec], dtype=float) for c, vec in raw.items()}


@functools.lru_cache(maxsize=None)
def uriel_distance(a: str, b: str, feature_set: str = "fam") -> float:
    """Cosine distance between the URIEL (lang2vec) vectors of two variants (codes or ISO 639-3).

    Scripts do not matter (arb_Arab and arb_Latn are at distance 0). Returns NaN where URIEL lacks a
    language (see ``URIEL_UNMAPPED``) or no feature is known for both. On ``fam`` an isolate (Basque) has
    an all-zero vector: it shares no family with anything, so its distance to any other language is 1.
    """
    import numpy as np

    ia, ib = uriel_code(a), uriel_code(b)
    vecs = _uriel_vectors(feature_set)
    va, vb = vecs.get(ia), vecs.get(ib)
    if va is None or vb is None:
        return math.nan
    mask = ~(np.isnan(va) | np.isnan(vb))  # type: ignore[operator]
    x, y = va[mask], vb[mask]  # type: ignore[index]
    norm = float(np.linalg.norm(x) * np.linalg.norm(y))
    if norm == 0.0:
        if feature_set == "fam" and x.size:
            return 0.0 if ia == ib else 1.0
        return math.nan
    return float(max(0.0, 1.0 - float(x @ y) / norm))


def relatedness(source_codes: Iterable[str], target: str, feature_set: str = "fam") -> float:
    """1 - the smallest URIEL distance from any source variant to ``target`` (NaN if none is known)."""
    dists = [d for d in (uriel_distance(s, target, feature_set) for s in source_codes) if not math.isnan(d)]
    return 1.0 - min(dists) if dists else math.nan

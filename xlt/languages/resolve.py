"""Source groups, target panels, and resolution of the Hydra ``lang`` and ``targets`` nodes.

The SIB-200 Semitic panel and its matched controls follow :data:`SIB_CONTROL_RULE` (also written into
``conf/targets/sib_panel.yaml``); :data:`SIB_CONTROLS` lists every pair with its reason.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from xlt.errors import ConfigError, unknown_choice
from xlt.languages.registry import LANGUAGES, codes_in

# Source groups (conf/lang/<group>.yaml): a training source may pool several variants.
SOURCE_GROUPS: dict[str, list[str]] = {
    "ar": ["arb_Arab", "acm_Arab", "apc_Arab", "ars_Arab", "ary_Arab", "arz_Arab"],
    "semitic_non_ar": ["heb_Hebr", "mlt_Latn", "amh_Ethi", "tir_Ethi"],
    "he": ["heb_Hebr"],
    "am": ["amh_Ethi"],
    "mt": ["mlt_Latn"],
    "en": ["eng_Latn"],
    "fr": ["fra_Latn"],
    "es": ["spa_Latn"],
    "ja": ["jpn_Jpan"],
    "ko": ["kor_Hang"],
    "zh": ["zho_Hans"],
    "tr": ["tur_Latn"],
}

GROUP_DOCS: dict[str, str] = {
    "ar": "Fine-tuning source: Belebele's six Arabic-script variants (the paper's training set).",
    "semitic_non_ar": "Fine-tuning source: the non-Arabic Semitic variants (Hebrew, Maltese, Amharic, Tigrinya).",
}

_PAPER = ["arb_Arab", "heb_Hebr", "amh_Ethi", "mlt_Latn", "jpn_Jpan", "kor_Hang", "fra_Latn"]

# SIB-200's Semitic targets: MSA, every Arabic dialect SIB-200 has, Hebrew, Maltese, Amharic, Tigrinya.
SIB_SEMITIC: list[str] = [
    "arb_Arab", "acm_Arab", "acq_Arab", "aeb_Arab", "ajp_Arab", "apc_Arab", "ars_Arab", "ary_Arab", "arz_Arab",
    "heb_Hebr", "mlt_Latn", "amh_Ethi", "tir_Ethi",
]

# Semitic target -> (its non-Semitic control, why). See SIB_CONTROL_RULE.
SIB_CONTROLS: dict[str, tuple[str, str]] = {
    "arb_Arab": ("pes_Arab", "Arabic script; both high-resource standard languages"),
    "acm_Arab": ("ckb_Arab", "Arabic script; low-resource written varieties"),
    "acq_Arab": ("snd_Arab", "Arabic script; low-resource"),
    "aeb_Arab": ("pbt_Arab", "Arabic script; low-resource"),
    "ajp_Arab": ("prs_Arab", "Arabic script; low-resource"),
    "apc_Arab": ("azb_Arab", "Arabic script; low-resource"),
    "ars_Arab": ("uig_Arab", "Arabic script; low-resource"),
    "ary_Arab": ("kas_Arab", "Arabic script; low-resource"),
    "arz_Arab": ("urd_Arab", "Arabic script; the best-resourced dialect <-> a mid-resource language"),
    "heb_Hebr": ("ydd_Hebr", "Hebrew script (the only non-Semitic Hebrew-script variant); Yiddish is lower-resource"),
    "mlt_Latn": ("isl_Latn", "Latin script with extra letters; small national languages of similar resource"),
    "amh_Ethi": ("sin_Sinh", "no non-Semitic Ge'ez-script variant: an own-script abugida; mid/low-resource"),
    "tir_Ethi": ("bod_Tibt", "no non-Semitic Ge'ez-script variant: an own-script abugida; low-resource"),
}

SIB_CONTROL_RULE = """\
Matched controls for SIB-200's Semitic targets (sib_semitic): one per target, all distinct, non-Semitic
and in SIB-200, chosen by
(1) script: the target's own ISO 15924 script wherever a non-Semitic SIB-200 variant is natively written
    in it: Arabic script for MSA and the 8 dialects (the nine non-Semitic languages SIB-200 has whose
    usual script is Arabic; the Ajami/Jawi spellings ace_Arab, bjn_Arab, min_Arab, knc_Arab of
    Latin-script languages are not used), Hebrew script for Hebrew (Yiddish, the only one), Latin for
    Maltese; Ge'ez script has no non-Semitic user in SIB-200, so Amharic and Tigrinya get the same
    script TYPE: a non-Latin abugida used by one language (Sinhala, Standard Tibetan);
(2) resource level, coarse and judged (not measured), as close as (1) allows: MSA <-> Western Persian
    (high), Egyptian (the best-resourced dialect) <-> Urdu, the other dialects <-> the lower-resource
    Arabic-script languages, Maltese <-> Icelandic (small national languages; not Italian, far
    higher-resource), Amharic <-> Sinhala, Tigrinya <-> Standard Tibetan. Hebrew <-> Yiddish matches on
    script only (Yiddish is lower-resource). Oromo and Somali (Cushitic, Latin script) are not used:
    they match neither the script nor, being Afro-Asiatic, the absence of relatedness.
arb_Latn (romanised MSA: a transliteration, not a variety) is not a target."""

# Target panels (conf/targets/<panel>.yaml).
PANELS: dict[str, list[str]] = {
    "paper": list(_PAPER),
    "demo": list(_PAPER),
    "extended": [
        # Semitic variants outside the `ar` training set, then MSA as the in-language reference.
        "arb_Latn", "heb_Hebr", "mlt_Latn", "amh_Ethi", "tir_Ethi", "arb_Arab",
        # Controls: other Afro-Asiatic branches, Arabic script without relatedness, then spread over
        # families and scripts.
        "hau_Latn", "som_Latn", "gaz_Latn", "pes_Arab", "urd_Arab",
        "jpn_Jpan", "kor_Hang", "fra_Latn", "eng_Latn", "spa_Latn", "rus_Cyrl", "ell_Grek", "hye_Armn",
        "hin_Deva", "tur_Latn", "fin_Latn", "kat_Geor", "zho_Hans", "tha_Thai", "vie_Latn", "ind_Latn",
        "swh_Latn", "yor_Latn", "tam_Taml", "eus_Latn",
    ],
    "semitic": [c for c in codes_in("belebele") if LANGUAGES[c].semitic],
    "shared": ["arb_Arab", "eng_Latn", "fra_Latn", "spa_Latn", "tur_Latn", "zho_Hans", "jpn_Jpan"],
    "all": codes_in("belebele"),
    "sib_semitic": list(SIB_SEMITIC),
    "sib_panel": SIB_SEMITIC + [SIB_CONTROLS[c][0] for c in SIB_SEMITIC],
    "sib_all": codes_in("sib200"),
}

PANEL_DOCS: dict[str, str] = {
    "paper": "The paper's panel: Arabic, Semitic targets (Hebrew, Amharic, Maltese), non-Semitic controls.",
    "demo": "Evaluation panel for the embedded demo: the paper's panel (fixtures cover it).",
    "extended": "Every Semitic variant outside the `ar` training set, MSA, and >= 20 non-Semitic controls.",
    "semitic": "All eleven Semitic variants in Belebele.",
    "shared": "The variants with real Belebele files in ../shared/data/belebele.",
    "all": "All 122 Belebele variants.",
    "sib_semitic": "SIB-200 (task=sib200): MSA, its 8 dialects in SIB-200, Hebrew, Maltese, Amharic, Tigrinya.",
    "sib_panel": "SIB-200 (task=sib200): sib_semitic, then one matched non-Semitic control per target, in order:\n"
                 + ", ".join(f"{s} <-> {c}" for s, (c, _) in SIB_CONTROLS.items()) + ".\n" + SIB_CONTROL_RULE,
    "sib_all": "All 200 SIB-200 variants.",
}


# --------------------------------------------------------------------------- resolution


def _unknown_code(code: object) -> ConfigError:
    valid = sorted(LANGUAGES) + sorted(PANELS)
    err = unknown_choice("language code or panel", code, valid, limit=len(valid))
    close = difflib.get_close_matches(str(code), valid, n=3)
    return ConfigError(f"{err} (did you mean: {', '.join(close)}?)") if close else err


def _expand(entry: object) -> list[str]:
    """A language code, or a panel name standing for its codes."""
    if isinstance(entry, str) and entry in LANGUAGES:
        return [entry]
    if isinstance(entry, str) and entry in PANELS:
        return list(PANELS[entry])
    raise _unknown_code(entry)


def _dedup(codes: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(codes))


def _get(node: object, key: str) -> object:
    if isinstance(node, Mapping):
        return node.get(key)
    return getattr(node, key, None)


def resolve_source(lang_node: object) -> list[str]:
    """Training variants of a ``lang`` config node (``name`` + ``variants``), validated, ordered, de-duplicated.

    Without ``variants`` the ``name`` is resolved as a source group or a single code.
    """
    variants = _get(lang_node, "variants")
    name = _get(lang_node, "name")
    if variants is None:
        if isinstance(name, str) and name in SOURCE_GROUPS:
            return list(SOURCE_GROUPS[name])
        if isinstance(name, str) and name in LANGUAGES:
            return [name]
        valid = sorted(LANGUAGES) + sorted(SOURCE_GROUPS)
        raise unknown_choice("source language or group", name, valid, limit=len(valid))
    if isinstance(variants, str):
        variants = [variants]
    out: list[str] = []
    for v in variants:  # type: ignore[union-attr]
        if v not in LANGUAGES:
            raise _unknown_code(v)
        out.append(str(v))
    if not out:
        raise ConfigError(f"lang {name!r} has no variants")
    return _dedup(out)


def resolve_targets(targets_node: object) -> list[str]:
    """Union of a list-composed ``targets`` node (``{member: [codes...]}``), in order, without duplicates.

    Entries may be codes or panel names; a plain list or a single string is accepted as well.
    """
    if targets_node is None:
        raise ConfigError("no target languages: set targets=[<panel or code>, ...]")
    if isinstance(targets_node, str):
        members: list[object] = [targets_node]
    elif isinstance(targets_node, Mapping) or hasattr(targets_node, "items"):
        members = []
        for _, codes in targets_node.items():  # type: ignore[union-attr]
            members.extend([codes] if isinstance(codes, str) else list(codes or []))
    else:
        members = list(targets_node)  # type: ignore[call-overload]
    out = _dedup(c for entry in members for c in _expand(entry))
    if not out:
        raise ConfigError("no target languages: set targets=[<panel or code>, ...]")
    return out


def check_registry() -> None:
    """Names of groups and panels never clash with codes; every member is a registry code."""
    clash = set(SOURCE_GROUPS) & set(LANGUAGES) | set(PANELS) & set(LANGUAGES)
    assert not clash, f"group/panel names clash with codes: {clash}"
    for name, codes in {**SOURCE_GROUPS, **PANELS}.items():
        bad = [c for c in codes if c not in LANGUAGES]
        assert not bad, f"{name}: unknown codes {bad}"
    assert set(SIB_CONTROLS) == set(SIB_SEMITIC), "every sib_semitic target needs exactly one control"


check_registry()

"""The genus contrast every summary of a condition reports: Semitic targets against the rest.

A code the registry does not know (a fixture's made-up language) has no family and is not Semitic.
"""

from __future__ import annotations

from xlt.languages.registry import LANGUAGES

SEMITIC, NON_SEMITIC = "semitic", "non_semitic"
GENUS_GROUPS: tuple[str, ...] = (SEMITIC, NON_SEMITIC)


def family_of(code: str) -> str | None:
    """The registry family of ``code`` (WALS style), None when the registry does not know it."""
    lang = LANGUAGES.get(code)
    return lang.family if lang else None


def is_semitic(code: str) -> bool:
    """Whether ``code`` is a Semitic variety (False when the registry does not know it)."""
    lang = LANGUAGES.get(code)
    return bool(lang and lang.semitic)


def genus_group(code: str) -> str:
    """``semitic`` or ``non_semitic`` (the keys of a metrics record's ``family_mean``)."""
    return SEMITIC if is_semitic(code) else NON_SEMITIC

"""Registry of the Belebele and SIB-200 language variants, source groups, target panels and URIEL relatedness.

The package replaces the single module ``xlt/languages.py``; every name it exported is re-exported
here, so ``from xlt.languages import LANGUAGES, resolve_targets, relatedness, ...`` is unchanged.

* :mod:`xlt.languages.registry`: ``Language``, ``LANGUAGES``, read from ``registry.tsv`` (package
  data: code, English name, WALS family and genus, the datasets that have the variant). The
  metadata conventions (WALS 2013, Japonic/Koreanic, Turkic/Mongolic, Creole, Constructed) are in
  that module's docstring.
* :mod:`xlt.languages.resolve`: source groups, target panels, ``resolve_source`` / ``resolve_targets``
  for the Hydra ``lang`` and ``targets`` nodes.
* :mod:`xlt.languages.uriel`: URIEL (lang2vec) distance and relatedness, ISO code mapping, caches.
* :mod:`xlt.languages.conf_gen`: the generated ``conf/lang`` / ``conf/targets`` files and the CLI.

SIB-200 panels: ``sib_semitic`` is MSA (arb_Arab), the 8 Arabic dialects SIB-200 has (acm, acq, aeb,
ajp, apc, ars, ary, arz), Hebrew, Maltese, Amharic and Tigrinya; ``sib_panel`` adds one matched
non-Semitic control per target. The matching rule: (1) the same ISO 15924 script where a
non-Semitic SIB-200 variant is natively written in it (Arabic-script controls for the Arabic
varieties, Yiddish for Hebrew, Latin for Maltese), else, for the Ge'ez-script Amharic and
Tigrinya, the same script type (a non-Latin abugida used by one language); (2) within that, a
similar resource level, coarse and judged: arb<->pes, arz<->urd, acm<->ckb, acq<->snd, aeb<->pbt,
ajp<->prs, apc<->azb, ars<->uig, ary<->kas, heb<->ydd (script only: Yiddish is lower-resource),
mlt<->isl (not Italian: far higher-resource), amh<->sin, tir<->bod. The full rule is
``xlt.languages.resolve.SIB_CONTROL_RULE``, also written into ``conf/targets/sib_panel.yaml``.
The paper's panels (``paper``, ``demo``, ``extended``, ``semitic``, ``all``) are Belebele's and unchanged.

The Hydra groups ``conf/lang/`` and ``conf/targets/`` are generated from this package::

    python -m xlt.languages write-conf [--conf-dir conf]
    python -m xlt.languages list [--dataset sib200]
"""

from __future__ import annotations

from xlt.languages.conf_gen import GENERATED_HEADER, GENERATED_PREFIX, conf_files, main, write_conf
from xlt.languages.registry import (
    DATASETS,
    LANGUAGES,
    SCRIPT_TYPES,
    Language,
    codes_in,
    format_registry,
    parse_registry,
    registry_text,
)
from xlt.languages.resolve import (
    GROUP_DOCS,
    PANEL_DOCS,
    PANELS,
    SIB_CONTROL_RULE,
    SIB_CONTROLS,
    SIB_SEMITIC,
    SOURCE_GROUPS,
    check_registry,
    resolve_source,
    resolve_targets,
)
from xlt.languages.uriel import (
    URIEL_CODE_MAP,
    URIEL_UNMAPPED,
    _ensure_pkg_resources,
    relatedness,
    uriel_code,
    uriel_distance,
)

__all__ = [
    "DATASETS", "GENERATED_HEADER", "GENERATED_PREFIX", "GROUP_DOCS", "LANGUAGES", "Language", "PANELS",
    "PANEL_DOCS", "SCRIPT_TYPES", "SIB_CONTROLS", "SIB_CONTROL_RULE", "SIB_SEMITIC", "SOURCE_GROUPS",
    "URIEL_CODE_MAP", "URIEL_UNMAPPED", "check_registry", "codes_in", "conf_files", "format_registry", "main",
    "parse_registry", "registry_text", "relatedness", "resolve_source", "resolve_targets", "uriel_code",
    "uriel_distance", "write_conf", "_ensure_pkg_resources",
]

"""The language registry: every Belebele and SIB-200 variant, read from ``registry.tsv`` (package data).

``registry.tsv`` has one row per variant, tab-separated, with the header
``code  name  family  genus  datasets``:

* ``code``: the FLORES-200 code (``<iso639-3>_<script>``) exactly as the datasets spell it; Belebele's
  ``dialect`` field (including its five romanised additions ben_Latn, hin_Latn, npi_Latn, sin_Latn,
  urd_Latn) and SIB-200's folder names. The ISO 15924 script is the code's suffix, never stored twice.
* ``name``: the English name (FLORES-200 style; a variant written in two scripts names its script,
  e.g. ``Kashmiri (Arabic script)``).
* ``family`` / ``genus``: WALS (2013 edition, as in the CLDF dataset ``cldf-datasets/wals`` v2014),
  with the registry's own conventions where WALS has no usable entry: Glottolog-style family names
  where WALS names a family after a single language (``Japonic``, ``Koreanic``); ``Turkic`` and
  ``Mongolic`` as families (WALS lumps them in ``Altaic``); ``Austroasiatic``; ``Creole`` with the
  lexifier as genus for creoles (Haitian, Kabuverdianu, Papiamento, Tok Pisin; WALS: ``other``);
  ``Constructed`` for Esperanto. A variant WALS does not list gets the WALS genus of its closest listed
  relative (Bemba, Chokwe, Kikongo, Kimbundu, Tumbuka: Bantoid; Banjar: Malayo-Sumbawan; Twi: Kwa
  like Akan; Southwestern Dinka: Nilotic; Dzongkha: Bodic; N'Ko: Western Mande; Chhattisgarhi,
  Sanskrit: Indic; Friulian, Lombard, Sardinian, Sicilian, Venetian: Romance; Limburgish, Norwegian
  Nynorsk: Germanic; Latgalian: Baltic; Silesian: Slavic; Ta'izzi-Adeni Arabic: Semitic). A few of the
  original Belebele rows keep a coarser or older genus than that edition (Cushitic for its Eastern
  Cushitic, Chadic for West Chadic, Sundanese for Malayo-Sumbawan, Brahmaputran for Jingpho). Belebele's
  own README table mixes families and genera (and lists Nyanja/Tsonga as Afro-Asiatic); this registry
  does not copy those slips. Every Arabic variety, Hebrew, Maltese, Amharic and Tigrinya is
  Afro-Asiatic / Semitic; Kabyle, Tamasheq and Central Atlas Tamazight are Afro-Asiatic / Berber.
* ``datasets``: comma-separated, the datasets that have the variant (``belebele``, ``sib200``).
  Belebele: its 122 ``dialect`` values. SIB-200: the 200 folders of ``../shared/data/sib200``
  (dadelani/sib-200 ``data/annotated`` at 593cea8); 112 variants are in both, 10 only in Belebele
  (the five romanised ones, ell_Grek, kat_Geor, khm_Khmr, lao_Laoo, tha_Thai), 88 only in SIB-200.

Edit the TSV, then run ``python -m xlt.languages write-conf`` to regenerate ``conf/lang`` and
``conf/targets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

DATASETS: tuple[str, ...] = ("belebele", "sib200")
TSV_COLUMNS: tuple[str, ...] = ("code", "name", "family", "genus", "datasets")

# Script type (Daniels' typology) of every ISO 15924 script in the registry; the SIB-200 control rule
# (xlt.languages.resolve) matches on it where no non-Semitic variant shares a script. Neo-Tifinagh,
# N'Ko and Ol Chiki write vowels as letters (alphabets); Hangul is a featural alphabet.
SCRIPT_TYPES: dict[str, str] = {
    **dict.fromkeys(("Arab", "Hebr"), "abjad"),
    **dict.fromkeys(("Armn", "Cyrl", "Geor", "Grek", "Hang", "Latn", "Nkoo", "Olck", "Tfng"), "alphabet"),
    **dict.fromkeys(("Beng", "Deva", "Ethi", "Gujr", "Guru", "Khmr", "Knda", "Laoo", "Mlym", "Mymr", "Orya",
                     "Sinh", "Taml", "Telu", "Thai", "Tibt"), "abugida"),
    **dict.fromkeys(("Hans", "Hant"), "logographic"),
    "Jpan": "logographic+syllabic",
}


@dataclass(frozen=True)
class Language:
    """One variant: FLORES-200 code, English name, family and genus (WALS style), ISO 15924 script,
    and the datasets (``DATASETS``) that have it."""

    code: str
    name: str
    family: str
    genus: str
    script: str
    datasets: tuple[str, ...] = ()

    @property
    def iso639_3(self) -> str:
        """The ISO 639-3 part of the code (``heb`` for ``heb_Hebr``)."""
        return self.code.split("_", 1)[0]

    @property
    def semitic(self) -> bool:
        """True for the Semitic genus (Arabic varieties, Hebrew, Maltese, Amharic, Tigrinya)."""
        return self.genus == "Semitic"

    @property
    def script_type(self) -> str:
        """``abjad``, ``alphabet``, ``abugida``, ``logographic`` or ``logographic+syllabic``."""
        return SCRIPT_TYPES[self.script]

    def in_dataset(self, dataset: str) -> bool:
        """Whether ``dataset`` (``belebele`` or ``sib200``) has this variant."""
        return dataset in self.datasets


def parse_registry(text: str) -> dict[str, Language]:
    """``{code: Language}`` from the TSV text (header line first), in file order; raises ValueError on a
    malformed row, a duplicate code or an unknown dataset."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or tuple(lines[0].split("\t")) != TSV_COLUMNS:
        raise ValueError(f"registry.tsv must start with the header {chr(9).join(TSV_COLUMNS)!r}")
    langs: dict[str, Language] = {}
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(TSV_COLUMNS) or not all(c.strip() == c and c for c in cells):
            raise ValueError(f"registry.tsv line {n}: expected {len(TSV_COLUMNS)} non-empty cells: {line!r}")
        code, name, family, genus, datasets = cells
        iso, _, script = code.partition("_")
        if not (len(iso) == 3 and iso.isalpha() and iso.islower() and script in SCRIPT_TYPES):
            raise ValueError(f"registry.tsv line {n}: {code!r} is not a FLORES-200 code (<iso639-3>_<Script>) "
                             f"with a script in SCRIPT_TYPES")
        ds = tuple(datasets.split(","))
        unknown = [d for d in ds if d not in DATASETS]
        if unknown or len(set(ds)) != len(ds):
            raise ValueError(f"registry.tsv line {n}: datasets {datasets!r}; valid: {', '.join(DATASETS)}")
        if code in langs:
            raise ValueError(f"registry.tsv line {n}: duplicate code {code}")
        langs[code] = Language(code, name, family, genus, script, tuple(d for d in DATASETS if d in ds))
    return langs


def format_registry(langs: dict[str, Language]) -> str:
    """The TSV text of ``langs`` (inverse of :func:`parse_registry`)."""
    rows = ["\t".join(TSV_COLUMNS)]
    rows += ["\t".join((x.code, x.name, x.family, x.genus, ",".join(x.datasets))) for x in langs.values()]
    return "\n".join(rows) + "\n"


def registry_text() -> str:
    """The shipped ``registry.tsv``, read as package data."""
    return resources.files(__package__).joinpath("registry.tsv").read_text(encoding="utf-8")


LANGUAGES: dict[str, Language] = parse_registry(registry_text())


def codes_in(dataset: str) -> list[str]:
    """Registry codes that ``dataset`` has, in registry order."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; valid: {', '.join(DATASETS)}")
    return [c for c, lang in LANGUAGES.items() if lang.in_dataset(dataset)]

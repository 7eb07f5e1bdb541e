"""The report opened as a reader would: every table has rows, every figure is a real PNG."""

from __future__ import annotations

import base64
import io
import json
from html.parser import HTMLParser

import pandas as pd
import pytest

FULL_TABLES = {"conditions", "baseline_accuracy", "gains", "gain_cells", "family_means", "model_means", "tests",
               "language_gains", "cot_vs_finetune", "cot_correlation", "power_summary", "power_curve"}
FULL_FIGURES = {"gains_by_family", "baseline_vs_gain", "relatedness_vs_gain", "cot_vs_finetune", "power_curve"}
SECTIONS = {"answer", "overview", "labels", "baseline", "gains", "family", "weak_strong", "tests", "relatedness", "cot",
            "design", "wandb"}


class ReportParser(HTMLParser):
    """Collects sections, tables (name -> number of body rows), figures (name -> PNG bytes), notes."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.tables: dict[str, int] = {}
        self.figures: dict[str, bytes] = {}
        self.missing: list[str] = []
        self._table: str | None = None
        self._in_body = self._in_missing = False
        self._figure: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a["id"])
        elif tag == "div" and "data-table" in a:
            self._table = a["data-table"]
            self.tables[self._table] = 0
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table:
            self.tables[self._table] += 1
        elif tag == "figure":
            self._figure = a.get("data-figure")
        elif tag == "img" and self._figure:
            prefix = "data:image/png;base64,"
            assert a["src"].startswith(prefix), a["src"][:40]
            self.figures[self._figure] = base64.b64decode(a["src"][len(prefix):])
        elif tag == "p" and a.get("class") == "missing":
            self._in_missing = True

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "div":
            self._table = None
        elif tag == "figure":
            self._figure = None
        elif tag == "p":
            self._in_missing = False

    def handle_data(self, data):
        if self._in_missing:
            self.missing.append(data)


def parse(report_dir) -> ReportParser:
    p = ReportParser()
    p.feed((report_dir / "report.html").read_text(encoding="utf-8"))
    return p


def assert_png(png: bytes, name: str) -> None:
    import matplotlib.image as mpimg

    assert png[:8] == b"\x89PNG\r\n\x1a\n", name
    assert len(png) > 5_000, f"{name}: {len(png)} bytes"
    h, w = mpimg.imread(io.BytesIO(png)).shape[:2]
    assert h >= 200 and w >= 300, f"{name}: {w}x{h}"


def test_full_report_has_every_table_and_figure(full_report):
    p = parse(full_report)
    assert set(p.sections) == SECTIONS
    assert FULL_TABLES <= set(p.tables), FULL_TABLES - set(p.tables)
    assert FULL_FIGURES <= set(p.figures), FULL_FIGURES - set(p.figures)
    for name, rows in p.tables.items():
        assert rows > 0, f"table {name} is empty"
        assert len(pd.read_csv(full_report / f"{name}.csv")) == rows
    for name, png in p.figures.items():
        assert_png(png, name)
        assert (full_report / f"{name}.png").read_bytes() == png
    assert p.missing == []  # with several models, the paper panel and CoT, everything is estimable


def test_full_report_statistics(full_report):
    tests = pd.read_csv(full_report / "tests.csv").set_index("test")
    assert set(tests.index) == {"paper_ols", "primary", "sensitivity", "unadjusted", "tost", "relatedness"}
    assert "NOT a valid test" in tests.loc["paper_ols", "label"]
    assert tests.loc["primary", "label"].startswith("PRIMARY")
    # Language is the unit: 3 Semitic + 3 control transfer languages (arb_Arab is the source);
    # baseline-adjusted -> df 3 (the unadjusted secondary contrast keeps df 4).
    assert tests.loc["primary", "n_languages"] == 6 and tests.loc["primary", "df"] == 3
    assert tests.loc["unadjusted", "df"] == 4 and tests.loc["primary", "role"] == "primary"
    assert tests.loc["paper_ols", "df"] == 4 * 6 - 3  # the paper's cells
    assert tests.loc["tost", "margin"] == 0.25
    langs = pd.read_csv(full_report / "language_gains.csv")
    assert "arb_Arab" not in set(langs["lang"]) and langs["relatedness"].notna().all()
    power = pd.read_csv(full_report / "power_summary.csv").set_index("quantity")["value"]
    assert float(power["models"]) == 4 and float(power["items per language"]) == 100


def test_gains_are_paired_per_seed_and_averaged_in_cells(full_report):
    gains = pd.read_csv(full_report / "gains.csv")
    ft = gains[gains["regime"] == "finetune"]
    assert set(ft["seed"]) == {0, 1} and len(ft) == 4 * 7 * 2
    assert ((ft["ci_low_points"] <= ft["gain_points"]) & (ft["gain_points"] <= ft["ci_high_points"])).all()
    assert (ft["gain_points"] - 100 * (ft["acc"] - ft["acc_base"])).abs().max() < 1e-9
    cells = pd.read_csv(full_report / "gain_cells.csv")
    assert cells["near_chance"].dtype == bool  # flagged per cell (the sensitivity analysis drops them)
    one = cells[(cells["model"] == "m0") & (cells["lang"] == "heb_Hebr") & (cells["regime"] == "finetune")].iloc[0]
    per_seed = ft[(ft["model"] == "m0") & (ft["target"] == "heb_Hebr")]["gain_points"]
    assert one["gain_points"] == pytest.approx(per_seed.mean()) and one["n_seeds"] == 2
    cot = gains[gains["regime"] == "cot"]
    assert cot["seed"].isna().all() and (cot["source"] == "-").all()


def test_demo_like_sweep_degrades_gracefully(demo_like_report):
    p = parse(demo_like_report)
    assert set(p.sections) == SECTIONS
    for name in ("baseline_accuracy", "gains", "family_means", "tests", "power_summary"):
        assert p.tables.get(name, 0) > 0, name
    for name in ("gains_by_family", "baseline_vs_gain", "power_curve"):
        assert_png(p.figures[name], name)
    text = " ".join(p.missing)
    assert "needs >= 2 models" in text and "cot" in text
    assert not any(n.endswith("cot_vs_finetune") for n in p.figures)


def test_wandb_report_json_beside_html(full_report):
    payload = json.loads((full_report / "wandb_report.json").read_text())
    assert payload["sweep"] == "synth" and payload["online"] is False
    blocks = payload["report"]["spec"]["blocks"]
    grid = next(b for b in blocks if b["type"] == "panel-grid")
    (runset,) = grid["metadata"]["runSets"]
    assert {"key": {"section": "run", "name": "group"}, "op": "=", "value": "synth", "disabled": False} \
        in runset["filters"]["filters"]
    manifest = json.loads((full_report / "manifest.json").read_text())
    assert manifest["wandb"]["built"] and not manifest["wandb"]["saved"]

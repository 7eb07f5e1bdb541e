"""experiment=disentangle: leak-free splits for every source, and a tiny sweep end to end into report.html."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_PANEL = ["arb_Arab", "heb_Hebr", "mlt_Latn", "amh_Ethi", "tir_Ethi", "eng_Latn", "fra_Latn", "spa_Latn",
                 "tur_Latn", "jpn_Jpan", "kor_Hang", "zho_Hans"]
E2E_TARGETS = ["arb_Arab", "heb_Hebr", "mlt_Latn", "eng_Latn", "jpn_Jpan"]


def _split(cfg):
    """The split exactly as xlt.pipeline.run_condition builds it, plus the condition."""
    from xlt.conditions import Condition
    from xlt.data.belebele import load_languages
    from xlt.data.fixtures import FIXTURE_LANGUAGES
    from xlt.data.splits import make_split

    cond = Condition.from_cfg(cfg)
    d = cfg.data
    data = load_languages(d, list(FIXTURE_LANGUAGES))  # every language: leaks are checked in all of them
    split = make_split(data, list(cond.source_variants) if cond.trains else [], list(cond.targets), d.split,
                       int(d.n_eval), int(d.get("split_seed", 0)), d.get("n_train"), int(d.n_folds), int(d.fold))
    return cond, split, data


@pytest.mark.parametrize("regime", ["finetune", "finetune_format"])
def test_no_held_out_passage_of_any_target_reaches_any_source(compose, regime):
    """Sources ar (six variants), heb_Hebr, eng_Latn, jpn_Jpan: the held-out items are the same for every
    source and the baseline, and no held-out passage appears in training, in any language — neither as a
    training item nor, for the format-only control, as a swapped-in passage."""
    from xlt.data.format_only import swapped_passages

    base = ["experiment=disentangle", "model=tiny", "data=fixtures", "trainer=cpu", "logger=none",
            f"targets=[{','.join(FIXTURE_PANEL)}]", "data.n_eval=12"]
    _, ref, data = _split(compose([*base, "regime=zero_shot"]))
    held_links = {k[0] for k in ref.eval_keys}
    held_text = {it.passage for items in data.values() for it in items if it.link in held_links}
    assert len(ref.eval_keys) >= 12 and ref.train == []
    for lang in ("ar", "heb_Hebr", "eng_Latn", "jpn_Jpan"):
        cond, split, _ = _split(compose([*base, f"lang={lang}", f"regime={regime}"]))
        assert cond.trains and cond.format_only == (regime == "finetune_format")
        assert split.eval_keys == ref.eval_keys  # every source is scored on the baseline's items
        assert {t: [it.key for it in v] for t, v in split.eval.items()} == \
               {t: [it.key for it in v] for t, v in ref.eval.items()}
        assert {it.lang for it in split.train} == set(cond.source_variants)
        assert not split.leaked_items() and not split.leaked_passages()
        assert not {it.passage for it in split.train} & held_text
        if cond.format_only:
            assert not set(swapped_passages(split.train, 0)) & held_text


def test_cli_values_replace_the_presets_default_sweep(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "xlt.train", "-m", "experiment=disentangle", "model=tiny",
                           "data=fixtures", "trainer=cpu", "logger=none", f"output_root={tmp_path}", "dry_run=true",
                           "targets=[arb_Arab,heb_Hebr]"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "dry run: 25 conditions" in proc.stdout  # 4 sources x 2 trained regimes x 3 seeds + 1 baseline
    proc = subprocess.run([sys.executable, "-m", "xlt.train", "-m", "experiment=disentangle", "model=tiny",
                           "data=fixtures", "trainer=cpu", "logger=none", f"output_root={tmp_path}", "dry_run=true",
                           "targets=[arb_Arab,heb_Hebr]", "lang=ar,he", "regime=zero_shot,finetune_format", "seed=0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "dry run: 3 conditions" in proc.stdout
    assert "tiny-ar-finetune_format-s0-" in proc.stdout and "-ja-" not in proc.stdout


class _Page(HTMLParser):
    """Tables (name -> rows of cell texts) and figures (name -> PNG bytes) of one report section."""

    def __init__(self, section: str) -> None:
        super().__init__()
        self.section, self.inside, self.table = section, False, None
        self.tables: dict[str, list[list[str]]] = {}
        self.figures: dict[str, bytes] = {}
        self.missing: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._missing = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.inside = a.get("id") == self.section
        if not self.inside:
            return
        if tag == "div" and "data-table" in a:
            self.table = a["data-table"]
            self.tables[self.table] = []
        elif tag == "tr" and self.table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img" and a.get("src", "").startswith("data:image/png;base64,"):
            self.figures[a["alt"]] = base64.b64decode(a["src"].split(",", 1)[1])
        elif tag == "p" and a.get("class") == "missing":
            self._missing = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self.table:
            self.tables[self.table].append(self._row)
            self._row = None
        elif tag == "div":
            self.table = None
        elif tag == "section":
            self.inside = False
        elif tag == "p":
            self._missing = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._missing:
            self.missing.append(data)


def test_tiny_disentangle_sweep_end_to_end(tmp_path):
    """2 sources x {finetune, finetune_format} + the shared zero_shot baseline on the tiny model, then the
    report: the source x target matrix (rows, columns), the format effect and the heatmap PNG."""
    env = {**os.environ, "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1"}
    train = [sys.executable, "-m", "xlt.train", "-m", "experiment=disentangle", "model=tiny", "data=fixtures",
             "trainer=cpu", "logger=none", f"output_root={tmp_path}", f"targets=[{','.join(E2E_TARGETS)}]",
             "lang=ar,he", "regime=zero_shot,finetune,finetune_format", "seed=0",
             "data.n_eval=4", "data.n_train=16", "regime.epochs=1"]
    proc = subprocess.run(train, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-5000:]
    sweep = tmp_path / "disentangle"
    assert len([d for d in sweep.iterdir() if (d / "DONE").exists()]) == 5
    proc = subprocess.run([sys.executable, "-m", "xlt.report", str(sweep), "--no-wandb", "--power-sims", "20"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    page = _Page("disentangle")
    page.feed((sweep / "report" / "report.html").read_text(encoding="utf-8"))

    header, *rows = page.tables["disentangle_matrix"]
    assert header == ["model", "regime", "source", *E2E_TARGETS]
    assert sorted((r[1], r[2]) for r in rows) == [("finetune", "ar"), ("finetune", "he"),
                                                  ("finetune_format", "ar"), ("finetune_format", "he")]
    for r in rows:  # every cell is a gain in points, bounded by +-100
        assert all(abs(float(v)) <= 100 for v in r[3:])
    header, *pairs = page.tables["disentangle_pairs"]
    assert len(pairs) == 2 * len(E2E_TARGETS)
    in_lang = {(r[0], r[1]) for r in pairs if r[header.index("in_language")] == "True"}
    assert in_lang == {("ar", "arb_Arab"), ("he", "heb_Hebr")}
    # the format effect is estimated, or the report says why not (a tiny random model may not move at all)
    effects = page.tables.get("disentangle_effects", [["effect"]])
    fmt = next((r for r in effects[1:] if r[0] == "format"), None)
    if fmt is None:
        assert any("format effect: " in m for m in page.missing), page.missing
    else:
        lo, est, hi = (float(fmt[effects[0].index(k)]) for k in ("ci_low", "estimate", "ci_high"))
        assert lo <= est <= hi and int(fmt[effects[0].index("n_targets")]) == len(E2E_TARGETS)
    # ar and he are both Semitic: relatedness by genus cannot be separated from the target (said, not faked)
    assert any("relatedness by genus" in m and "not identified" in m for m in page.missing), page.missing

    from PIL import Image

    img = Image.open(io.BytesIO(page.figures["disentangle_heatmap"]))
    img.load()
    assert img.format == "PNG" and img.size[0] > 200 and img.size[1] > 200
    assert (sweep / "report" / "disentangle_heatmap.png").exists()
    assert (sweep / "report" / "disentangle_matrix.csv").exists()

"""`python -m xlt.power`: design analysis from composed Hydra configs, before any run."""

from __future__ import annotations

import pandas as pd
import pytest

from xlt.config.compose import sweep_combinations
from xlt.power import main
from xlt.stats.planning import planned_designs


def test_sweep_overrides_expand_like_multirun():
    combos = sweep_combinations(["model=tiny,tiny_llama", "lang=ar,he", "data.n_eval=50"])
    assert len(combos) == 4 and ["model=tiny", "lang=he", "data.n_eval=50"] in combos
    assert sweep_combinations(["targets=[paper]"]) == [["targets=[paper]"]]


def test_designs_exclude_the_source_variants():
    plans = planned_designs(["model=tiny,tiny_llama", "lang=ar,he", "targets=paper", "data.n_eval=50"])
    (ar, _, _), (he, _, _) = plans["ar"], plans["he"]
    assert ar.models == ("tiny", "tiny_llama") and ar.n_items == 50
    assert ar.semitic == ("heb_Hebr", "amh_Ethi", "mlt_Latn")  # arb_Arab is fine-tuned on: not transfer
    assert ar.control == ("jpn_Jpan", "kor_Hang", "fra_Latn")
    assert "heb_Hebr" not in he.semitic and "arb_Arab" in he.semitic


def test_cli_prints_power_and_mdb(tmp_path, capsys):
    out = tmp_path / "power.csv"
    rc = main(["model=tiny,tiny_llama", "targets=paper", "data.n_eval=100", "--sims", "60", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert "2 model(s), 3 Semitic + 3 control transfer targets, 100 items each" in text
    assert "minimum detectable bonus" in text and "power of the primary test" in text
    table = pd.read_csv(out)
    assert len(table) == 11 and set(table["source"]) == {"ar"}


def test_cli_reports_what_cannot_be_estimated(capsys):
    assert main(["targets=[heb_Hebr,jpn_Jpan]", "--sims", "20"]) == 1
    assert "needs >= 2 Semitic and >= 2 control" in capsys.readouterr().out


def test_cli_rejects_invalid_config(capsys):
    assert main(["targets=[klingon]", "--sims", "20"]) == 2
    assert "klingon" in capsys.readouterr().err


def test_cli_nuisance_is_explicit_settable_and_fitted(tmp_path, capsys):
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent / "report"))
    from dataclasses import replace

    from synth import PAPER_SPEC, synthetic_sweep

    rc = main(["model=tiny", "targets=paper", "data.n_eval=100", "--sims", "40", "--set", "lang_gain_sd_points=7.5"])
    text = capsys.readouterr().out
    assert rc == 0 and "lang_gain_sd_points=7.5" in text and "; lang_gain_sd_points set" in text
    assert "minimum detectable bonus at 80% power (points)" in text and "TOST equivalence" in text
    assert main(["model=tiny", "targets=paper", "--sims", "20", "--set", "nope=1"]) == 2
    assert "unknown nuisance parameter" in capsys.readouterr().err
    sweep = synthetic_sweep(tmp_path, replace(PAPER_SPEC, n_models=3, n_items=40, cot_effect=None), seeds=1,
                            regimes=("zero_shot", "finetune"), sweep_name="pilot")
    assert main(["model=tiny,tiny_llama", "targets=paper", "--sims", "40", "--from", str(sweep)]) == 0
    text = capsys.readouterr().out
    assert f"fitted from {sweep}" in text and "baseline_acc=(" in text


CONF = __import__("pathlib").Path(__file__).resolve().parents[1] / "conf"
# `task=sib200` once the task group exists; without it xlt.power infers SIB-200 from the targets
SIB_TASK = ["task=sib200"] if (CONF / "task" / "sib200.yaml").exists() else []


def test_cli_prints_sib_panel_mde_next_to_the_papers_design(tmp_path, capsys):
    out = tmp_path / "power.csv"
    rc = main(["model=tiny", *SIB_TASK, "targets=sib_panel", "data.n_eval=900", "--sims", "20", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    # lang=ar trains on six of the 13 Semitic targets; n_eval is capped at SIB-200's 204 test items
    assert "1 model(s), 7 Semitic + 13 control transfer targets, 204 items each (sib200, 7 labels" in text
    lines = [line for line in text.splitlines() if line.startswith("minimum detectable bonus at 80% power:")]
    assert len(lines) == 1
    assert "for this design (7 Semitic vs 13 control, 204 sib200 items)" in lines[0]
    assert ("for the paper's 3 vs 3 design (heb_Hebr, amh_Ethi, mlt_Latn vs jpn_Jpan, kor_Hang, fra_Latn, "
            "100 belebele items)") in lines[0]
    assert " points for this design" in lines[0] and " points for the paper's" in lines[0]
    table = pd.read_csv(out)
    assert set(table["dataset"]) == {"sib200"} and table["paper_design_mde"].notna().all()


def test_sib_designs_need_the_sib200_task():
    from omegaconf import OmegaConf

    from xlt.errors import ConfigError
    from xlt.languages import PANELS
    from xlt.stats.planning import evaluated_dataset

    sib = PANELS["sib_panel"]
    assert evaluated_dataset(OmegaConf.create({}), sib) == ("sib200", 7)  # no task group: the dataset with every target
    assert evaluated_dataset(OmegaConf.create({}), PANELS["paper"]) == ("belebele", 4)  # Belebele first
    assert evaluated_dataset(OmegaConf.create({"task": {"name": "sib200", "n_labels": 7}}), sib) == ("sib200", 7)
    with pytest.raises(ConfigError, match=r"task=belebele has no acq_Arab.*add task=sib200"):
        evaluated_dataset(OmegaConf.create({"task": {"name": "belebele", "n_labels": 4}}), sib)
    with pytest.raises(ConfigError, match="belebele lacks ydd_Hebr; sib200 lacks ell_Grek"):
        evaluated_dataset(OmegaConf.create({}), ["ell_Grek", "ydd_Hebr"])

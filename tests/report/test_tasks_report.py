"""A sweep over two tasks (Belebele K = 4, SIB-200 K = 7): per-task sections with prefixed names, pairing
within the evaluated task, chance = 1/K, the cross-task relatedness comparison, and the leak table."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from synth import PAPER_SPEC, synthetic_sweep, two_task_sweep

from xlt.report.__main__ import main
from xlt.report.collect import condition_table, item_table, paired_items
from xlt.stats.adjusted import near_chance
from xlt.stats.primary import chance_logit, language_table

TASKS = ("belebele", "sib200")
BASE_KEYS = ["answer", "overview", "labels", "baseline", "gains", "family", "weak_strong", "tests", "relatedness",
             "cot", "design"]


@pytest.fixture(scope="module")
def two_tasks(tmp_path_factory):
    sweep = two_task_sweep(tmp_path_factory.mktemp("tasks"))
    assert main([str(sweep), "--power-sims", "40", "--no-wandb", "--no-screenshot"]) == 0
    return sweep, sweep / "report"


def _manifest(report):
    return json.loads((report / "manifest.json").read_text())["sections"]


def test_every_section_per_task_with_prefixed_names(two_tasks):
    _, report = two_tasks
    sections = _manifest(report)
    keys = list(sections)
    assert keys[:len(BASE_KEYS)] == [f"belebele_{k}" for k in BASE_KEYS]  # the answer panel first per task
    assert keys[len(BASE_KEYS):2 * len(BASE_KEYS)] == [f"sib200_{k}" for k in BASE_KEYS]
    assert "task_relatedness" in keys and "wandb" in keys
    for key, sec in sections.items():
        task = key.split("_")[0]
        if task in TASKS:
            assert all(n.startswith(task + "_") for n in [*sec["tables"], *sec["figures"]]), key
    for task in TASKS:
        for name in ("gains", "gain_cells", "tests", "language_gains", "baseline_accuracy"):
            assert (report / f"{task}_{name}.csv").is_file()
        assert (report / f"{task}_answer_gain_vs_baseline.png").is_file()
    assert not (report / "gains.csv").exists()
    html = (report / "report.html").read_text()
    assert html.index('id="belebele_answer"') < html.index("class='toc'")  # both lead panels above the contents
    assert html.index('id="sib200_answer"') < html.index("class='toc'")


def test_sib_gains_are_paired_only_with_the_sib_baseline(two_tasks):
    sweep, report = two_tasks
    conds = condition_table(sweep)
    keys = conds[conds["regime"] == "zero_shot"].groupby("task")["data_key"].unique()
    assert set(keys["belebele"]).isdisjoint(keys["sib200"])  # the task is part of the data key
    paired = paired_items(item_table(sweep), conds)
    sib = paired[paired["task"] == "sib200"]
    assert sib["link"].str.contains("/sib/").all()
    assert sib.groupby(["condition", "lang"]).size().eq(84).all()  # SIB items only, never 84 + 60
    gains = pd.read_csv(report / "sib200_gains.csv")
    assert (gains["n"] == 84).all()
    base = pd.read_csv(report / "sib200_baseline_accuracy.csv").set_index("model")
    for r in gains.itertuples():
        assert r.acc_base == pytest.approx(base.loc[r.model, r.target])
    assert (pd.read_csv(report / "belebele_gains.csv")["n"] == 60).all()
    assert "ar:belebele" in set(gains["source"])  # the cross-task source is its own comparison


def test_chance_is_one_over_k_per_task(two_tasks):
    _, report = two_tasks
    cells = pd.read_csv(report / "sib200_gain_cells.csv")
    assert np.allclose(cells["chance"], 1 / 7)
    assert np.allclose(pd.read_csv(report / "belebele_gain_cells.csv")["chance"], 0.25)
    ft = cells[(cells["source"] == "ar") & (cells["regime"] == "finetune")].set_index(["model", "lang"])
    at25, at_chance = ft.loc[("m0", "heb_Hebr")], ft.loc[("m1", "heb_Hebr")]
    assert at25["k_base"] == 21 and at_chance["k_base"] == 12 and at25["n_items"] == 84
    # 12/84 = 1/7 exactly: at SIB's chance the cell is near chance and its logit clipped to the floor ...
    floor = float(chance_logit(0, 84, 1 / 7))
    assert bool(at_chance["near_chance"]) and float(chance_logit(12, 84, 1 / 7)) == pytest.approx(floor)
    # ... while 21/84 = 25 % is above SIB's chance (not clipped, not flagged), though it would be at 0.25
    assert not bool(at25["near_chance"]) and float(chance_logit(21, 84, 1 / 7)) > floor + 1
    assert bool(near_chance(21, 84, 0.25)) and float(chance_logit(21, 84, 0.25)) == pytest.approx(floor)
    # the primary test's language table used 1/7, not 0.25
    langs = pd.read_csv(report / "sib200_language_gains.csv")
    langs = langs[langs["source"] == "ar"].set_index("lang")
    c = ft.reset_index()
    c = c[c["lang"].isin(langs.index)]
    want = language_table(c, chance=1 / 7).set_index("lang")
    other = language_table(c, chance=0.25).set_index("lang")
    assert np.allclose(langs.loc[want.index, "baseline_logit"], want["baseline_logit"])
    assert not np.allclose(langs.loc[want.index, "baseline_logit"], other["baseline_logit"])
    tests = pd.read_csv(report / "sib200_tests.csv")
    assert tests.loc[tests["test"] == "sensitivity", "label"].str.contains("14.3 %").all()
    assert "25 %" in pd.read_csv(report / "belebele_tests.csv").set_index("test").loc["sensitivity", "label"]


def test_task_relatedness_has_both_slopes_and_their_difference(two_tasks):
    _, report = two_tasks
    slopes = pd.read_csv(report / "task_relatedness_slopes.csv")
    ar = slopes[(slopes["source"] == "ar") & (slopes["regime"] == "finetune")].set_index("task")
    assert set(ar.index) == set(TASKS) and (ar["n_languages"] == 6).all()
    assert (ar["ci_low"] < ar["slope"]).all() and (ar["slope"] < ar["ci_high"]).all()
    diff = pd.read_csv(report / "task_relatedness_difference.csv").iloc[0]
    assert diff["task"] == "sib200" and diff["reference"] == "belebele"
    assert diff["difference"] == pytest.approx(ar.loc["sib200", "slope"] - ar.loc["belebele", "slope"])
    assert diff["df"] == 12 - 4 and 0 <= diff["p_value"] <= 1
    sec = _manifest(report)["task_relatedness"]
    assert "task_relatedness" in sec["figures"]


def test_leak_table_in_the_overview(two_tasks):
    _, report = two_tasks
    sections = _manifest(report)
    assert sections["sib200_overview"]["tables"]["sib200_leak"] == 1
    assert "belebele_leak" not in sections["belebele_overview"]["tables"]
    leak = pd.read_csv(report / "sib200_leak.csv").iloc[0]
    assert leak["train_task"] == "belebele" and leak["eval_task"] == "sib200"
    assert leak["overlapping_items"] == 3 and leak["dropped"] == 0 and "from_belebele" in leak["condition"]


@pytest.mark.parametrize("task", [None, "belebele"])
def test_one_task_sweep_keeps_its_section_keys(tmp_path, task):
    spec = replace(PAPER_SPEC, n_models=2, n_items=20, cot_effect=None)
    sweep = synthetic_sweep(tmp_path, spec, seeds=1, regimes=("zero_shot", "finetune"), task=task)
    assert main([str(sweep), "--power-sims", "20", "--no-wandb", "--no-screenshot"]) == 0
    sections = _manifest(sweep / "report")
    assert list(sections) == [*BASE_KEYS, "wandb"]
    assert "gains" in sections["gains"]["tables"] and "leak" not in sections["overview"]["tables"]
    assert np.allclose(pd.read_csv(sweep / "report" / "gain_cells.csv")["chance"], 0.25)

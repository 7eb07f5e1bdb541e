"""Assemble the comparison report of a sweep from its results store.

Writes into ``out_dir``: ``report.html`` (self-contained), every table as ``<name>.csv``, every
figure as ``<name>.png``, ``wandb_report.json`` (the W&B report's validated view spec) and
``manifest.json`` (which tables/figures each section has and what could not be estimated) and, when
Chromium is installed, ``screenshot.png`` (the page's first 1400 x 900 pixels, rendered headless).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from xlt.report import answer, browser, figures, gains, labels, statistics
from xlt.report.collect import (DEFAULT_LABELS, DEFAULT_TASK, LEAK_COLUMNS, accuracy_table, condition_table,
                                item_table, leak_table, paired_items)
from xlt.report.html import Section, render
from xlt.results.store import failed
from xlt.stats.planning import Design, assumptions, fit_nuisance, power_summary
from xlt.stats.stress import StressSpec

log = logging.getLogger(__name__)

SEEDS_POLICY = ("Seeds: paired intervals need one answer per item, so the gain table has one row per seed; "
                "family means, figures' cell means and all tests use the seed MEAN of each model x source x "
                "regime x language cell (seeds replicate a cell; they are not extra languages).")


@dataclass(frozen=True)
class Options:
    """Report settings (CLI flags)."""

    margin: float = 0.25  # TOST equivalence margin, chance-corrected logits
    alpha: float = 0.05
    power_sims: int = 400
    bonus: float = 10.0  # planted bonus for the design's power, accuracy points
    wandb: bool = True
    screenshot: bool = True  # render the page headless when Chromium is installed


def _design(cells: pd.DataFrame, conds: pd.DataFrame, acc: pd.DataFrame) -> Design | None:
    """The sweep's design for the primary test: models, Semitic / control transfer targets, items."""
    if acc.empty:
        return None
    trained = conds[conds["source"].notna()]
    variants = set().union(*trained["source_variants"]) if not trained.empty else set()
    targets = [t for t in dict.fromkeys(acc["target"]) if t not in variants]
    info = {t: gains.lang_info(t)["semitic"] for t in targets}
    models = tuple(dict.fromkeys(cells["model"] if not cells.empty else acc["model"]))
    return Design(models, tuple(t for t in targets if info[t]), tuple(t for t in targets if not info[t]),
                  int(acc["n"].median()))


def _design_section(design: Design | None, opts: Options, observed: pd.DataFrame, chance: float = 0.25) -> Section:
    s = Section("design", "Design: power and minimum detectable Semitic bonus (points)")
    if design is None or design.problems():
        s.missing.append("power analysis " + ("; ".join(design.problems()) if design else "needs finished conditions"))
        return s
    nuisance, how, source = None, {}, "stress-simulator defaults (no usable results)"
    if not observed.empty and observed["model"].nunique() >= 1 and observed["lang"].nunique() >= 3:
        nuisance, how = fit_nuisance(observed, chance, replace(StressSpec(), chance=chance))
        source = "fitted from this sweep's cells"
    spec = design.spec(opts.bonus, nuisance, chance)
    s.paragraphs.append(f"Simulated with the stress simulator (xlt.stats.stress: gains in points shrinking with "
                        f"baseline, interactions, item spread, ceiling, seeds) for this sweep's models, transfer panel "
                        f"and item count; nuisance parameters {source}: {assumptions(spec)}.")
    summary, curve = power_summary(design, bonus=opts.bonus, n_sims=opts.power_sims, alpha=opts.alpha,
                                   nuisance=nuisance, margin=opts.margin, source=source, chance=chance)
    s.tables.update(power_summary=summary, power_curve=curve, power_nuisance=pd.DataFrame(
        [{"parameter": k, "value": str(v), "how": how.get(k) or (how.get("gain_*_points") if k in (
            "gain_weak_points", "gain_strong_points") else None) or "stress default"}
         for k, v in spec.nuisance().items()]))
    s.figures["power_curve"] = figures.power_curve(curve, opts.alpha)
    return s


def _model_means(cells: pd.DataFrame) -> pd.DataFrame:
    m = cells.groupby(["source", "regime", "model"], sort=False).agg(
        mean_baseline=("acc_base", "mean"), mean_gain_points=("gain_points", "mean"),
        n_languages=("lang", "nunique")).reset_index()
    return m.sort_values(["source", "regime", "mean_baseline"])


def _findings(tests: pd.DataFrame, prefix: str = "") -> list[str]:
    out = []
    for _, t in tests.iterrows():
        out.append(f"{prefix}[{t['source']}/{t['regime']}] {t['test']}: estimate {t['estimate']:.3f} ({t['scale']}), "
                   f"CI [{t['ci_low']:.3f}, {t['ci_high']:.3f}], p = {t['p_value']:.3g}")
    return out


@dataclass
class TaskReport:
    """The sections of one evaluated task and what the cross-task comparison reads from them."""

    task: str
    chance: float
    sections: list[Section]
    results: list[statistics.ComparisonStats]
    languages: pd.DataFrame  # the primary test's language table, all comparisons
    tests: pd.DataFrame
    targets: list[str]


def _with_task_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Frames of older stores (or hand-built ones) get task = belebele, train_task = task, 4 labels."""
    if df.empty:
        return df
    out = df
    if "task" not in out:
        out = out.assign(task=DEFAULT_TASK)
    if "train_task" not in out:
        out = out.assign(train_task=out["task"])
    if "n_labels" not in out:
        out = out.assign(n_labels=DEFAULT_LABELS)
    # A source trained on another task's items is another comparison than the same source trained on
    # this task's own: it is named "<source>:<train task>" in every table of the evaluated task.
    cross = out["source"].notna() & (out["train_task"] != out["task"])
    if cross.any():
        out = out.copy()
        out.loc[cross, "source"] = out.loc[cross, "source"].astype(str) + ":" + out.loc[cross, "train_task"].astype(str)
    return out


def task_chance(*frames: pd.DataFrame) -> float:
    """1/K of a task's conditions (K = n_labels, the most common value; 4 when unknown)."""
    for f in frames:
        if not f.empty and "n_labels" in f and f["n_labels"].notna().any():
            return 1.0 / float(f["n_labels"].dropna().astype(int).mode().iloc[0])
    return 1.0 / DEFAULT_LABELS


def _task_report(acc: pd.DataFrame, items: pd.DataFrame, conds: pd.DataFrame, opts: Options, n_failed: int,
                 task: str) -> TaskReport:
    """Every section for the conditions of ONE evaluated task (keys and names unprefixed)."""
    chance = task_chance(conds, acc)
    paired = paired_items(items, conds)
    gain_rows, cells = gains.gain_table(paired, opts.alpha), gains.gain_cells(paired)
    if not cells.empty:  # flagged, not dropped: the sensitivity analysis drops them
        from xlt.stats.adjusted import near_chance
        cells["near_chance"] = near_chance(cells["k_base"], cells["n_items"], chance)
        cells["chance"] = chance
    models = list(dict.fromkeys(acc["model"]))
    k = int(round(1 / chance))

    overview = Section("overview", "Sweep", [
        f"{len(conds)} finished conditions ({n_failed} failed, not shown): models {', '.join(models)}; regimes "
        f"{', '.join(dict.fromkeys(acc['regime']))}; {acc['target'].nunique()} target languages, "
        f"median {int(acc['n'].median())} items each.",
        f"Task {task}: {k} answer labels, chance {statistics.chance_text(chance)} (every chance-corrected logit, "
        "near-chance flag and points conversion of this task uses it).",
        "Gains pair each condition with the zero_shot baseline of the same model on the same items "
        "(aligned by lang, link, question_number).", SEEDS_POLICY])
    overview.tables["conditions"] = conds.drop(columns=["logger", "data_key", *LEAK_COLUMNS], errors="ignore").assign(
        source_variants=conds["source_variants"].map(" ".join), targets=conds["targets"].map(" ".join))
    leaks = leak_table(conds)
    if not leaks.empty:
        overview.paragraphs.append(
            "Cross-task conditions train on another task's items; both tasks are built on FLORES-200, so evaluated "
            "items sharing a FLORES sentence with a training item were looked for (table leak: overlapping_items; "
            "dropped > 0 when data.leak=drop removed them before scoring). A cross-task source is named "
            "<source>:<train task>.")
        overview.tables["leak"] = leaks

    baseline = Section("baseline", "Baseline accuracy (zero-shot), model x target language")
    bt = gains.baseline_table(acc)
    if bt.empty:
        baseline.missing.append("needs the zero_shot regime")
    else:
        baseline.tables["baseline_accuracy"] = bt

    gain = Section("gains", "Gains over the baseline, per model x language (paired intervals)", [
        "gain = accuracy of the condition - zero-shot accuracy of the same model on the same items, in points; "
        "95 % Newcombe hybrid-score interval for a paired difference; p from the exact McNemar test."])
    if gain_rows.empty:
        gain.missing.append("needs a zero_shot baseline and at least one other regime of the same model")
    else:
        gain.tables.update(gains=gain_rows, gain_cells=cells)
        gain.figures["gains_by_family"] = figures.gains_by_family(gain_rows)

    family = Section("family", "Family means", ["Mean accuracy and mean gain per genus split "
                     "(Semitic / non-Semitic) and per language family; gains are seed means. Rows of fine-tuned "
                     "conditions leave out the source's own variants (in-language, not transfer)."])
    variants = {s: v for s, v in zip(conds["source"], conds["source_variants"]) if s and v}
    family.tables["family_means"] = gains.family_means(acc, cells, variants)

    weak = Section("weak_strong", "Baseline vs gain per model (weak vs strong)")
    if cells.empty:
        weak.missing.append("needs gains (a baseline and a trained or CoT regime)")
    else:
        weak.tables["model_means"] = _model_means(cells)
        weak.figures["baseline_vs_gain"] = figures.baseline_vs_gain(cells)
        if cells["model"].nunique() < 2:
            weak.missing.append("a weak-vs-strong comparison needs >= 2 models (have 1)")

    results = statistics.all_comparisons(cells, conds, opts.margin, opts.alpha, chance)
    tests = statistics.tests_frame(results)
    langs = pd.concat([r.languages for r in results if not r.languages.empty], ignore_index=True) \
        if any(not r.languages.empty for r in results) else pd.DataFrame()
    from xlt.stats.adjusted import ESTIMAND_PRIMARY, ESTIMAND_UNADJUSTED
    stat = Section("tests", "Is there a Semitic advantage? All tests, with their estimands", [
        "PRIMARY (pre-specified; role = primary): " + ESTIMAND_PRIMARY + " Holm-corrected over the sweep's "
        "source x regime comparisons (p_holm).",
        "Sensitivity (role = sensitivity): the primary test without the cells whose baseline is not above chance "
        f"(Wilson lower bound <= {statistics.chance_text(chance)}); their chance-corrected logits are clipped and "
        "carry no information.",
        "Secondary (role = secondary, test = unadjusted): " + ESTIMAND_UNADJUSTED,
        "paper_ols (role = reproduction) reproduces the paper's test: OLS of gain (points) on a Semitic indicator "
        "controlling for baseline over model x language cells with iid errors. Languages are shared by all models, "
        "so the cells are not independent and its p-value is far too small: for comparison only.",
        f"TOST: 'no Semitic advantage' is claimed only if the {1 - 2 * opts.alpha:.0%} interval of the primary "
        f"estimate lies inside +-{opts.margin:g} logits; se_needed is the SE at which the design could show it.",
        "Only transfer targets enter: the source's own variants (e.g. arb_Arab for lang=ar) are excluded."])
    stat.missing += [f"[{r.source}/{r.regime}] {m}" for r in results for m in r.missing]
    if not results:
        stat.missing.append("needs a trained regime (finetune) with a zero_shot baseline")
    if not tests.empty:
        stat.tables["tests"] = tests
    if not langs.empty:
        stat.tables["language_gains"] = langs

    rel = Section("relatedness", "Relatedness (URIEL) vs gain", [
        "Relatedness = 1 - the smallest URIEL 'fam' cosine distance from any source variant to the target "
        "(xlt.languages.relatedness); the regression slope is in the tests table (test = relatedness)."])
    png = figures.relatedness_vs_gain(langs) if not langs.empty else None
    if png is None:
        rel.missing.append("needs language-level gains with known URIEL relatedness")
    else:
        rel.figures["relatedness_vs_gain"] = png

    cot = Section("cot", "CoT gains vs fine-tuning gains", [
        "Correlation across model x language cells; cells share languages, so read it descriptively."])
    both, summ, why = gains.cot_vs_finetune(cells)
    if not both.empty:
        cot.tables["cot_vs_finetune"] = both
        cot.figures["cot_vs_finetune"] = figures.cot_vs_finetune(both)
    if summ is None:
        cot.missing.append(f"CoT/fine-tuning correlation {why}")
    else:
        cot.tables["cot_correlation"] = pd.DataFrame([summ])

    observed = pd.DataFrame()
    if results and not cells.empty:
        first = results[0]
        g = cells[(cells["source"] == first.source) & (cells["regime"] == first.regime)]
        observed = statistics.transfer_cells(g, tuple(variants.get(first.source, ())))
    design = _design_section(_design(cells, conds, acc), opts, observed, chance)

    lab = Section("labels", "Label bias: how each condition's answers spread over the labels", [
        "Share of predictions on each answer label, per model x regime x language (seeds pooled), beside the gold "
        "labels' shares; top_share is the share of the most frequent predicted label (1 = the same answer to every "
        "question), tv_from_gold the total-variation distance from the gold label distribution."])
    shares, label_set = labels.label_shares(items)
    if shares.empty:
        lab.missing.append("needs predictions with pred and gold labels")
    else:
        lab.tables.update(label_bias_summary=labels.bias_summary(shares), label_shares=shares)
        lab.figures["label_bias"] = figures.label_bias(shares, label_set)
    lead = Section("answer", "Answer")
    lead.html = answer.panel_html(results, cells, stat.missing, lab.tables.get("label_bias_summary"))
    transfer = cells[[t not in variants.get(src, ()) for src, t in zip(cells["source"], cells["lang"])]] \
        if not cells.empty else cells  # in-language targets are not transfer
    central = figures.central(transfer, chance=chance) if not transfer.empty else None
    if central:
        lead.figures["answer_gain_vs_baseline"] = central

    sections = [lead, overview, lab, baseline, gain, family, weak, stat, rel, cot, design]
    from xlt.report import disentangle  # issue #7: only for source x target / format-only sweeps
    own = conds[conds["train_task"] == conds["task"]] if "train_task" in conds else conds  # a cross-task source
    sections += [disentangle.section(acc, conds, opts.alpha, chance)] if disentangle.applies(own) else []  # is no design
    return TaskReport(task, chance, sections, results, langs, tests, list(dict.fromkeys(acc["target"])))


def _prefixed(s: Section, task: str) -> Section:
    """A task's section in a several-task report: key, title, tables and figures named after the task."""
    s.key, s.title = f"{task}_{s.key}", f"{task}: {s.title}"
    s.tables = {f"{task}_{n}": df for n, df in s.tables.items()}
    s.figures = {f"{task}_{n}": png for n, png in s.figures.items()}
    return s


def build_sections(sweep_dir: Path, opts: Options) -> tuple[list[Section], dict[str, Any]]:
    """Every section of the report, plus context (sweep name, logger config, targets, findings).

    One evaluated task: the sections as they always were. Several: the full set per task (keys, titles,
    table and figure names prefixed with the task, its answer panel first), then the cross-task
    comparison of relatedness (xlt.report.tasks)."""
    acc, items, conds = accuracy_table(sweep_dir), item_table(sweep_dir), condition_table(sweep_dir)
    acc, items, conds = _with_task_columns(acc), _with_task_columns(items), _with_task_columns(conds)
    n_failed = len(failed(sweep_dir))
    sweep = str(conds["sweep_name"].dropna().iloc[0]) if conds["sweep_name"].notna().any() else sweep_dir.name
    task_names = list(dict.fromkeys(conds["task"])) if not conds.empty else [DEFAULT_TASK]

    def part(task: str) -> TaskReport:
        if len(task_names) == 1:
            return _task_report(acc, items, conds, opts, n_failed, task)
        pick = lambda df: df[df["task"] == task].reset_index(drop=True) if not df.empty else df  # noqa: E731
        return _task_report(pick(acc), pick(items), pick(conds), opts, n_failed, task)

    parts = [part(t) for t in task_names]
    several = len(parts) > 1
    sections: list[Section] = []
    comparisons, findings = [], []
    for p in parts:
        sections += [_prefixed(s, p.task) for s in p.sections] if several else p.sections
        pre = f"{p.task}: " if several else ""
        comparisons += [f"{pre}{r.regime} from {r.source}" for r in p.results]
        findings += _findings(p.tests, pre)
    if several:
        from xlt.report import tasks

        sections.append(tasks.section({p.task: p.languages for p in parts}, opts.alpha))
    logger_cfg = conds["logger"].iloc[0] if len(conds) else {}
    context = {"sweep": sweep, "logger": logger_cfg or {},
               "targets": list(dict.fromkeys(t for p in parts for t in p.targets)),
               "comparisons": comparisons, "findings": findings}
    return sections, context


def write_report(sweep_dir: Path | str, out_dir: Path | str | None = None, opts: Options = Options()) -> dict[str, Any]:
    """Build every section and write the report files; returns the manifest."""
    from xlt.report import wandb_report

    t0 = time.perf_counter()
    sweep_dir = Path(sweep_dir)
    out = Path(out_dir) if out_dir else sweep_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    sections, ctx = build_sections(sweep_dir, opts)
    for s in sections:
        s.figures = {k: v for k, v in s.figures.items() if v}  # a figure with no data is not a figure
        for name, df in s.tables.items():
            df.to_csv(out / f"{name}.csv", index=False)
        for name, png in s.figures.items():
            (out / f"{name}.png").write_bytes(png)
    wb = wandb_report.write(out, ctx["sweep"], ctx["logger"], ctx["targets"], ctx["comparisons"],
                            ctx["findings"]) if opts.wandb else {"built": False, "error": "disabled"}
    wb_section = Section("wandb", "W&B report", [
        "The same comparison as a W&B report: " + (f"saved at {wb['url']}" if wb.get("url") else
                                                  "built and validated offline; its view spec is wandb_report.json"
                                                  if wb.get("built") else f"not built ({wb.get('error')})")])
    sections.append(wb_section)
    page = render(f"xlt report: {ctx['sweep']}", sections,
                  f"Generated from the results store {sweep_dir} (not from W&B).")
    (out / "report.html").write_text(page, encoding="utf-8")
    shot = out / "screenshot.png"
    shot.unlink(missing_ok=True)  # never keep a screenshot of an older page
    took = opts.screenshot and browser.find_chromium() is not None and browser.screenshot(out / "report.html", shot)
    manifest = {"sweep": ctx["sweep"], "out_dir": str(out), "wandb": wb,
                "screenshot": str(shot) if took else None,
                "seconds": round(time.perf_counter() - t0, 2),
                "sections": {s.key: {"tables": {n: len(df) for n, df in s.tables.items()},
                                     "figures": sorted(s.figures), "missing": s.missing} for s in sections}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str))
    return manifest

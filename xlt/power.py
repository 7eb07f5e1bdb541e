"""Design before running: power and minimum detectable Semitic bonus of a planned sweep.

    python -m xlt.power model=qwen3_4b,gpt_oss_20b targets=extended data.n_eval=900
    python -m xlt.power model=qwen3_4b,gpt_oss_20b,llama31_8b lang=ar targets=paper --bonus 8
    python -m xlt.power model=qwen3_4b targets=paper --set lang_gain_sd_points=5 --set semitic_harder=0.8
    python -m xlt.power model=qwen3_4b,gpt_oss_20b targets=paper --from outputs/pilot   # fit nuisance
    python -m xlt.power model=qwen3_4b,gpt_oss_20b task=sib200 targets=sib_panel data.n_eval=204

Arguments are the same Hydra overrides as ``python -m xlt.train -m`` (sweeps like ``model=a,b``
expand; every combination is composed with Hydra's compose API and validated), plus ``--`` flags.
The design is: the distinct models, the target panel minus the source's own variants (Semitic vs
control transfer targets) and ``data.n_eval`` items per language, at most the evaluated split's size
(Belebele 900, SIB-200's test split 204); one design per source language. The dataset is the ``task``
(``task=sib200``), or without a ``task`` group the dataset that has every target (Belebele first); its
number of labels sets the simulator's chance level (1/4, 1/7) unless ``--set chance=`` says otherwise.
Each design's minimum detectable bonus is printed next to the paper's 3 vs 3 design (Belebele, 100
items, the same models and nuisance parameters).
This module is the command line only; the designs and their power are in xlt.stats.planning.
Power is simulated under the stress simulator (xlt.stats.stress); its nuisance parameters are
printed before the plan, can be set with ``--set name=value``, or fitted from a finished sweep's
cells with ``--from``. Effects and the minimum detectable bonus are in accuracy points.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import fields, replace
from pathlib import Path


def _points(mde: float) -> str:
    return f"{mde:.1f} points" if math.isfinite(mde) else "> 40 points (not detectable below the search limit)"


def _mde(summary) -> float:
    """The minimum detectable bonus (points) in a :func:`xlt.stats.planning.power_summary` table."""
    row = summary[summary["quantity"].str.startswith("minimum detectable bonus")]
    return float(row["value"].iloc[0])


def _nuisance(from_sweep: Path | None, settings: list[str]):
    """(StressSpec of nuisance parameters, where they came from): stress defaults, fitted from a sweep's
    cells (its first trained comparison, transfer targets only), then ``--set`` overrides."""
    from xlt.stats.stress import StressSpec

    spec, source = StressSpec(), "stress-simulator defaults"
    if from_sweep is not None:
        from xlt.report import gains, statistics
        from xlt.report.collect import condition_table, item_table, paired_items
        from xlt.stats.planning import fit_nuisance

        if not Path(from_sweep).is_dir():
            raise FileNotFoundError(f"{from_sweep} is not a directory")
        conds = condition_table(from_sweep)
        cells = gains.gain_cells(paired_items(item_table(from_sweep), conds))
        trained = cells[cells["source"] != "-"] if not cells.empty else cells
        if trained.empty:
            raise ValueError(f"{from_sweep} has no trained condition with a zero_shot baseline to fit from")
        (src, regime), g = next(iter(trained.groupby(["source", "regime"], sort=False)))
        variants = {s: v for s, v in zip(conds["source"].fillna("-"), conds["source_variants"]) if v}
        spec, _ = fit_nuisance(statistics.transfer_cells(g, tuple(variants.get(src, ()))))
        source = f"fitted from {from_sweep} ({regime} from {src})"
    types = {f.name: f.type for f in fields(StressSpec)}
    for item in settings:
        name, _, value = item.partition("=")
        if name not in spec.nuisance():
            raise ValueError(f"unknown nuisance parameter {name!r}; valid: {', '.join(spec.nuisance())}")
        cast = (lambda v: tuple(float(x) for x in v.split(","))) if "tuple" in str(types[name]) else \
            int if types[name] in (int, "int") else float
        spec = replace(spec, **{name: cast(value)})
        source += f"; {name} set"
    return spec, source


def main(argv: list[str] | None = None) -> int:
    """Print the power table of each source's design; 2 on an invalid config, 1 if not estimable."""
    ap = argparse.ArgumentParser(prog="python -m xlt.power", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. model=qwen3_4b,gpt_oss_20b targets=extended")
    ap.add_argument("--bonus", type=float, default=10.0, help="planted Semitic bonus, accuracy points (default 10)")
    ap.add_argument("--margin", type=float, default=0.25, help="TOST equivalence margin, logits (default 0.25)")
    ap.add_argument("--set", dest="nuisance", action="append", default=[], metavar="NAME=VALUE",
                    help="a stress-simulator nuisance parameter (repeatable), e.g. lang_gain_sd_points=5")
    ap.add_argument("--from", dest="from_sweep", type=Path, default=None,
                    help="fit the nuisance parameters from this finished sweep's cells (outputs/<sweep>)")
    ap.add_argument("--power", type=float, default=0.8, help="target power for the minimum detectable bonus")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--sims", type=int, default=400, help="simulated studies (default 400)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="write the summary table(s) here as CSV")
    args = ap.parse_args(argv)
    import pandas as pd
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from xlt.errors import ConfigError
    from xlt.stats.planning import N_LABELS, assumptions, mde_points, paper_design, planned_designs, power_summary

    try:
        planned = planned_designs(args.overrides)
    except (ConfigError, HydraException, OmegaConfBaseException) as err:  # a bad config: say which value
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        nuisance, origin = _nuisance(args.from_sweep, args.nuisance)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    chance_set = any(item.partition("=")[0] == "chance" for item in args.nuisance)
    paper_mde: dict[tuple[str, ...], float] = {}
    tables, rc = [], 0
    for source, (design, dataset, n_labels) in planned.items():
        spec = nuisance if chance_set else replace(nuisance, chance=1.0 / n_labels)
        print(f"\n== source {source}: {len(design.models)} model(s), {len(design.semitic)} Semitic + "
              f"{len(design.control)} control transfer targets, {design.n_items} items each "
              f"({dataset}, {n_labels} labels, chance {spec.chance:.3f})")
        if design.problems():
            print("   not estimable: " + "; ".join(design.problems()))
            rc = 1
            continue
        summary, curve = power_summary(design, args.bonus, args.sims, args.power, args.alpha, args.seed,
                                       nuisance=spec, margin=args.margin, source=origin)
        with pd.option_context("display.width", 200, "display.max_colwidth", 60):
            print(summary.to_string(index=False, justify="left"))
            print(curve.round(3).to_string(index=False))
        paper = paper_design(design.models)
        paper_spec = nuisance if chance_set else replace(nuisance, chance=1.0 / N_LABELS["belebele"])
        mde = _mde(summary)
        if (design, dataset, spec) == (paper, "belebele", paper_spec):
            paper_mde.setdefault(design.models, mde)
        if design.models not in paper_mde:
            paper_mde[design.models] = mde_points(paper.spec(0.0, paper_spec), power=args.power, n_sims=args.sims,
                                                  seed=args.seed, alpha=args.alpha)
        print(f"minimum detectable bonus at {args.power:.0%} power: {_points(mde)} for this design "
              f"({len(design.semitic)} Semitic vs {len(design.control)} control, {design.n_items} {dataset} items) "
              f"vs {_points(paper_mde[design.models])} for the paper's 3 vs 3 design "
              f"({', '.join(paper.semitic)} vs {', '.join(paper.control)}, {paper.n_items} belebele items), "
              f"same models and nuisance")
        tables.append(summary.assign(source=source, dataset=dataset, paper_design_mde=paper_mde[design.models]))
    per_design = "" if chance_set else "; chance: 1/labels of each design's dataset, as printed per design"
    print(f"\nstress-simulator nuisance parameters ({origin}{per_design}): {assumptions(nuisance)}")
    if args.out and tables:
        pd.concat(tables).to_csv(args.out, index=False)
    return rc


if __name__ == "__main__":
    sys.exit(main())

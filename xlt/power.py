"""Design before running: power and minimum detectable Semitic bonus of a planned sweep.

    python -m xlt.power model=qwen3_4b,gpt_oss_20b targets=extended data.n_eval=900
    python -m xlt.power model=qwen3_4b,gpt_oss_20b,llama31_8b lang=ar targets=paper --bonus 8
    python -m xlt.power model=qwen3_4b targets=paper --set lang_gain_sd_points=5 --set semitic_harder=0.8
    python -m xlt.power model=qwen3_4b,gpt_oss_20b targets=paper --from outputs/pilot   # fit nuisance

Arguments are the same Hydra overrides as ``python -m xlt.train -m`` (sweeps like ``model=a,b``
expand; every combination is composed with Hydra's compose API and validated), plus ``--`` flags.
The design is: the distinct models, the target panel minus the source's own variants (Semitic vs
control transfer targets) and ``data.n_eval`` items per language; one design per source language.
Power is simulated under the stress simulator (xlt.stats.stress); its nuisance parameters are
printed before the plan, can be set with ``--set name=value``, or fitted from a finished sweep's
cells with ``--from``. Effects and the minimum detectable bonus are in accuracy points.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import Sequence

CONF_DIR = str(Path(__file__).resolve().parents[1] / "conf")
BELEBELE_ITEMS = 900


def expand_overrides(overrides: Sequence[str]) -> list[list[str]]:
    """Every combination of the sweep overrides (``model=a,b`` -> two lists), like Hydra's basic sweeper."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    axes = []
    for text, o in zip(overrides, parsed):
        if o.is_sweep_override():
            key = text.split("=", 1)[0]
            axes.append([f"{key}={v}" for v in o.sweep_string_iterator()])
        else:
            axes.append([text])
    return [list(combo) for combo in itertools.product(*axes)]


def compose_all(overrides: Sequence[str]) -> list:
    """Composed, validated configs of every combination (raises ConfigError naming a bad value)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from xlt.conditions import Condition, register_resolvers

    register_resolvers()
    GlobalHydra.instance().clear()
    out = []
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        for combo in expand_overrides(overrides):
            cfg = compose("config", overrides=combo)
            out.append((cfg, Condition.from_cfg(cfg)))
    GlobalHydra.instance().clear()
    return out


def designs(overrides: Sequence[str]) -> dict[str, "object"]:
    """``{source: Design}`` of a planned sweep."""
    from xlt.languages import LANGUAGES
    from xlt.report.design import Design

    by_source: dict[str, dict] = {}
    for cfg, cond in compose_all(overrides):
        d = by_source.setdefault(cond.source, {"models": [], "targets": [], "variants": set(), "n": set()})
        d["models"].append(cond.model)
        d["targets"] += list(cond.targets)
        d["variants"] |= set(cond.source_variants)
        d["n"].add(int(cfg.data.n_eval))
    out = {}
    for source, d in by_source.items():
        targets = [t for t in dict.fromkeys(d["targets"]) if t not in d["variants"]]
        sem = tuple(t for t in targets if LANGUAGES[t].semitic)
        ctl = tuple(t for t in targets if not LANGUAGES[t].semitic)
        out[source] = Design(tuple(dict.fromkeys(d["models"])), sem, ctl, min(min(d["n"]), BELEBELE_ITEMS))
    return out


def _nuisance(from_sweep: Path | None, settings: list[str]):
    """(StressSpec of nuisance parameters, where they came from): stress defaults, fitted from a sweep's
    cells (its first trained comparison, transfer targets only), then ``--set`` overrides."""
    from dataclasses import fields, replace

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
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from xlt.errors import ConfigError

    try:
        plans = designs(args.overrides)
    except (ConfigError, HydraException, OmegaConfBaseException) as err:  # a bad config: say which value
        print(f"error: {err}", file=sys.stderr)
        return 2
    import pandas as pd

    from xlt.report.design import assumptions, power_summary

    try:
        nuisance, origin = _nuisance(args.from_sweep, args.nuisance)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    tables, rc = [], 0
    for source, design in plans.items():
        print(f"\n== source {source}: {len(design.models)} model(s), {len(design.semitic)} Semitic + "
              f"{len(design.control)} control transfer targets, {design.n_items} items each")
        if design.problems():
            print("   not estimable: " + "; ".join(design.problems()))
            rc = 1
            continue
        summary, curve = power_summary(design, args.bonus, args.sims, args.power, args.alpha, args.seed,
                                       nuisance=nuisance, margin=args.margin, source=origin)
        with pd.option_context("display.width", 200, "display.max_colwidth", 60):
            print(summary.to_string(index=False, justify="left"))
            print(curve.round(3).to_string(index=False))
        tables.append(summary.assign(source=source))
    print(f"\nstress-simulator nuisance parameters ({origin}): {assumptions(nuisance)}")
    if args.out and tables:
        pd.concat(tables).to_csv(args.out, index=False)
    return rc


if __name__ == "__main__":
    sys.exit(main())

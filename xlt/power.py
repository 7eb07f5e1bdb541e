"""Design before running: power and minimum detectable Semitic bonus of a planned sweep.

    python -m xlt.power model=qwen3_4b,gpt_oss_20b targets=extended data.n_eval=900
    python -m xlt.power model=qwen3_4b,gpt_oss_20b,llama31_8b lang=ar targets=paper --bonus 0.3

Arguments are the same Hydra overrides as ``python -m xlt.train -m`` (sweeps like ``model=a,b``
expand; every combination is composed with Hydra's compose API and validated), plus ``--`` flags.
The design is: the distinct models, the target panel minus the source's own variants (Semitic vs
control transfer targets) and ``data.n_eval`` items per language; one design per source language.
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


def main(argv: list[str] | None = None) -> int:
    """Print the power table of each source's design; 2 on an invalid config, 1 if not estimable."""
    ap = argparse.ArgumentParser(prog="python -m xlt.power", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. model=qwen3_4b,gpt_oss_20b targets=extended")
    ap.add_argument("--bonus", type=float, default=0.5, help="planted Semitic bonus, logits (default 0.5)")
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

    tables, rc = [], 0
    for source, design in plans.items():
        print(f"\n== source {source}: {len(design.models)} model(s), {len(design.semitic)} Semitic + "
              f"{len(design.control)} control transfer targets, {design.n_items} items each")
        if design.problems():
            print("   not estimable: " + "; ".join(design.problems()))
            rc = 1
            continue
        summary, curve = power_summary(design, args.bonus, args.sims, args.power, args.alpha, args.seed)
        with pd.option_context("display.width", 200, "display.max_colwidth", 60):
            print(summary.to_string(index=False, justify="left"))
            print(curve.round(3).to_string(index=False))
        tables.append(summary.assign(source=source))
    print(f"\nsimulator assumptions: {assumptions()}")
    if args.out and tables:
        pd.concat(tables).to_csv(args.out, index=False)
    return rc


if __name__ == "__main__":
    sys.exit(main())

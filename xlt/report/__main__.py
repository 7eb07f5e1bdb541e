"""``python -m xlt.report <sweep dir>``: the comparison report of a sweep, from its results store.

Prints the accuracy table, then writes ``<sweep dir>/report/`` (or ``--out``): report.html with
figures embedded, tables as CSV, figures as PNG, wandb_report.json, manifest.json, and screenshot.png
when Chromium is installed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from xlt.report.collect import accuracy_table, pivot_accuracy


def main(argv: list[str] | None = None) -> int:
    """Print the accuracy table and write the report; exit 1 if nothing finished, 2 on a bad path."""
    ap = argparse.ArgumentParser(prog="python -m xlt.report", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep_dir", type=Path, help="outputs/<sweep> (the results store)")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: <sweep_dir>/report)")
    ap.add_argument("--margin", type=float, default=0.25, help="TOST equivalence margin in logits (default 0.25)")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--power-sims", type=int, default=400, help="simulated studies for the design's power")
    ap.add_argument("--bonus", type=float, default=10.0, help="Semitic bonus (accuracy points) for the design's power")
    ap.add_argument("--no-screenshot", action="store_true", help="do not render screenshot.png with Chromium")
    ap.add_argument("--no-wandb", action="store_true", help="skip building the W&B report")
    ap.add_argument("--table-only", action="store_true", help="only print the accuracy table")
    args = ap.parse_args(argv)
    if not args.sweep_dir.is_dir():
        print(f"error: {args.sweep_dir} is not a directory", file=sys.stderr)
        return 2
    table = accuracy_table(args.sweep_dir)
    if table.empty:
        print(f"error: no finished conditions in {args.sweep_dir}", file=sys.stderr)
        return 1
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 50, "display.precision", 3):
        print(pivot_accuracy(table))
    if args.table_only:
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from xlt.report.build import Options, write_report

    opts = Options(margin=args.margin, alpha=args.alpha, power_sims=args.power_sims, bonus=args.bonus,
                   wandb=not args.no_wandb, screenshot=not args.no_screenshot)
    manifest = write_report(args.sweep_dir, args.out, opts)
    for key, sec in manifest["sections"].items():
        for why in sec["missing"]:
            print(f"  [{key}] not estimated: {why}")
    print(f"report: {manifest['out_dir']}/report.html ({manifest['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

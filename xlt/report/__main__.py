"""``python -m xlt.report <sweep dir>``: summarise a sweep from its results store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xlt.report.collect import accuracy_table, pivot_accuracy


def main(argv: list[str] | None = None) -> int:
    """Print the accuracy table of a sweep (per model/source/regime × target)."""
    ap = argparse.ArgumentParser(prog="python -m xlt.report", description=__doc__)
    ap.add_argument("sweep_dir", type=Path, help="outputs/<sweep> (the results store)")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())

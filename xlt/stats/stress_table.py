"""``python -m xlt.stats.stress_table``: false-positive rate, power and coverage per stress scenario
(the table in docs/statistics.md), printed as Markdown."""

from __future__ import annotations

import argparse
from dataclasses import replace

from xlt.stats.planning import mde_points, operating_characteristics
from xlt.stats.stress import SCENARIOS


def table(n_sims: int = 1000, bonus_points: float = 10.0, seed: int = 101, mde_sims: int = 400) -> str:
    """Markdown table, one row per scenario (the slow tests use the same seed and sizes)."""
    head = ("| scenario | design | FPR primary | FPR sensitivity (no near-chance) | FPR unadjusted | FPR paper OLS "
            f"| power at +{bonus_points:g} pts | coverage | median SE (logit) | MDE 80 % (pts) |")
    rows = [head, "|" + "---|" * 10]
    for name, spec in SCENARIOS.items():
        oc = operating_characteristics(replace(spec, bonus_points=bonus_points), n_sims=n_sims, seed=seed)
        mde = mde_points(spec, n_sims=mde_sims, seed=seed)
        design = f"{spec.n_models} models, {spec.n_semitic} v {spec.n_control} x {spec.n_items}, {spec.n_seeds} seeds"
        rows.append(f"| {name} | {design} | {oc['fpr_primary']:.3f} | {oc['fpr_sensitivity']:.3f} | "
                    f"{oc['fpr_unadjusted']:.3f} | {oc['fpr_paper_ols']:.3f} | {oc['power']:.3f} | "
                    f"{oc['coverage']:.3f} | {oc['median_se']:.3f} | {mde:.1f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--bonus", type=float, default=10.0, help="planted Semitic bonus, points")
    a = ap.parse_args()
    print(table(a.sims, a.bonus))

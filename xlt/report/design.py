"""Design analysis: power and minimum detectable Semitic bonus of the primary test (baseline-adjusted,
language-level) for a set of models, transfer panel and item count, by simulation under the stress
simulator (:mod:`xlt.stats.stress`, :mod:`xlt.stats.planning`).

Used before any run (``python -m xlt.power``: nuisance parameters are the stress defaults, printed,
and can be set) and in every report (nuisance fitted from the sweep's own cells when it has them).
Effects are in accuracy POINTS, the scale the report leads with.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from xlt.stats.planning import mde_points, operating_characteristics, power_at
from xlt.stats.stress import StressSpec

BONUS_GRID = (0.0, 2.0, 5.0, 8.0, 10.0, 15.0, 20.0, 30.0)  # points
@dataclass(frozen=True)
class Design:
    """What a sweep (or a planned one) evaluates."""

    models: tuple[str, ...]
    semitic: tuple[str, ...]  # Semitic TRANSFER targets (source variants excluded)
    control: tuple[str, ...]
    n_items: int

    def problems(self) -> list[str]:
        """Why the primary test cannot be run on this design (empty if it can)."""
        out = []
        if not self.models:
            out.append("needs >= 1 model")
        if len(self.semitic) < 2 or len(self.control) < 2:
            out.append(f"needs >= 2 Semitic and >= 2 control transfer languages "
                       f"(have {len(self.semitic)} and {len(self.control)})")
        if self.n_items < 1:
            out.append("needs >= 1 item per language")
        return out

    def spec(self, bonus_points: float = 0.0, nuisance: StressSpec | None = None,
             chance: float | None = None) -> StressSpec:
        """The stress spec of this design (nuisance from ``nuisance`` or the defaults; ``chance`` = 1/K of
        the task, else the nuisance's own)."""
        base = nuisance or StressSpec()
        if chance is not None:
            base = replace(base, chance=float(chance))
        acc = base.baseline_acc
        if acc is not None and len(acc) != len(self.models):  # fitted on other models: spread over the range
            acc = tuple(np.interp(np.linspace(0, 1, len(self.models)), np.linspace(0, 1, len(acc)), sorted(acc)))
        return replace(base, n_models=len(self.models), n_semitic=len(self.semitic), n_control=len(self.control),
                       n_items=int(self.n_items), bonus_points=float(bonus_points), baseline_acc=acc)


def power_summary(design: Design, bonus: float = 10.0, n_sims: int = 400, power: float = 0.8, alpha: float = 0.05,
                  seed: int = 0, nuisance: StressSpec | None = None, margin: float = 0.25,
                  source: str = "stress-simulator defaults", chance: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, curve): operating characteristics at ``bonus`` POINTS, the minimum detectable bonus
    in points and whether TOST equivalence is feasible; power over :data:`BONUS_GRID` (``chance``: 1/K of
    the task, simulated as the floor of every item's accuracy). Raises
    ValueError if :meth:`Design.problems` is not empty."""
    if design.problems():
        raise ValueError("; ".join(design.problems()))
    spec = design.spec(bonus, nuisance, chance)
    oc = operating_characteristics(spec, n_sims=n_sims, seed=seed, alpha=alpha, margin=margin)
    mde = mde_points(spec, power=power, n_sims=n_sims, seed=seed, alpha=alpha)
    mcse = float(np.sqrt(alpha * (1 - alpha) / n_sims))
    tost = (f"feasible: median SE {oc['median_se']:.3f} <= {oc['se_needed_tost']:.3f} needed" if oc["tost_feasible"]
            else f"NOT feasible: needs SE <= {oc['se_needed_tost']:.3f} (80 % power at no effect), "
                 f"design has ~{oc['median_se']:.3f}")
    rows = [
        ("models", len(design.models), ", ".join(design.models)),
        ("Semitic transfer languages", len(design.semitic), ", ".join(design.semitic)),
        ("control transfer languages", len(design.control), ", ".join(design.control)),
        ("items per language", design.n_items, ""),
        ("simulated studies", n_sims, f"stress simulator, nuisance: {source}; Monte Carlo SE of a 5 % rate {mcse:.3f}"),
        ("planted bonus (points)", bonus, "added to the Semitic targets' gain"),
        ("power of the primary test", oc.get("power", float("nan")),
         f"alpha={alpha}; CI coverage {oc.get('coverage', float('nan')):.3f}"),
        ("false-positive rate, primary test (bonus 0)", oc["fpr_primary"], "should be ~alpha"),
        ("false-positive rate, paper's OLS (bonus 0)", oc["fpr_paper_ols"], "the reproduced invalid test"),
        (f"minimum detectable bonus at {power:.0%} power (points)", mde,
         "not detectable below 40 points" if not np.isfinite(mde) else "accuracy points, planted on Semitic targets"),
        (f"TOST equivalence within +-{margin:g} logits", oc["tost_feasible"], tost),
    ]
    summary = pd.DataFrame(rows, columns=["quantity", "value", "note"], dtype=object)
    curve = pd.DataFrame([{"bonus_points": b, "power": power_at(spec, b, n_sims, seed, alpha)} for b in BONUS_GRID])
    return summary, curve


def assumptions(spec: StressSpec | None = None) -> str:
    """The simulator's nuisance parameters, for the report text and the planner."""
    spec = spec or StressSpec()
    return ", ".join(f"{k}={(tuple(round(x, 3) for x in v) if isinstance(v, tuple) else round(v, 3) if isinstance(v, float) else v)}"
                     for k, v in spec.nuisance().items())

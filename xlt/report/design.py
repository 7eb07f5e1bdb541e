"""Design analysis: power and minimum detectable Semitic bonus of the primary (language-level) test
for a given set of models, transfer panel and item count, by simulation (:mod:`xlt.stats.power`).

Used before any run (``python -m xlt.power``) and in every report. The simulator's nuisance
parameters (ability spread, language-level gain noise, item heterogeneity ...) are the defaults of
:class:`xlt.stats.simulate.SimSpec`; the bonus is on the chance-corrected logit scale.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd
from scipy.special import expit

from xlt.stats.power import minimum_detectable_bonus, power_analysis
from xlt.stats.simulate import SimSpec

BONUS_GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)


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

    def spec(self, bonus: float = 0.0) -> SimSpec:
        """The simulator spec of this design with a planted bonus."""
        return SimSpec(n_models=len(self.models), semitic_langs=tuple(self.semitic),
                       control_langs=tuple(self.control), n_items=int(self.n_items), bonus=bonus)


def bonus_points(spec: SimSpec, bonus: float) -> float:
    """A logit bonus in accuracy points for the simulated average model and language (approximate)."""
    if not np.isfinite(bonus):
        return float("inf")
    eta = float(np.mean(spec.abilities)) + spec.g0 + spec.g_weak * float(np.mean(spec.weakness))
    return 100 * (1 - spec.chance) * float(expit(eta + bonus) - expit(eta))


def power_summary(design: Design, bonus: float = 0.5, n_sims: int = 400, power: float = 0.8,
                  alpha: float = 0.05, seed: int = 0, mode: str = "items") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, curve): operating characteristics at ``bonus`` and the minimum detectable bonus;
    the power curve over :data:`BONUS_GRID` (fast binomial mode). Raises ValueError if
    :meth:`Design.problems` is not empty."""
    if design.problems():
        raise ValueError("; ".join(design.problems()))
    spec = design.spec(bonus)
    res = power_analysis(spec, n_sims=n_sims, alpha=alpha, seed=seed, mode=mode)
    mdb = minimum_detectable_bonus(spec, power=power, alpha=alpha, n_sims=n_sims, seed=seed)
    rows = [
        ("models", len(design.models), ", ".join(design.models)),
        ("Semitic transfer languages", len(design.semitic), ", ".join(design.semitic)),
        ("control transfer languages", len(design.control), ", ".join(design.control)),
        ("items per language", design.n_items, ""),
        ("simulated studies", n_sims, f"mode={mode}; Monte Carlo SE of a 5 % rate {res.mcse:.3f}"),
        ("planted bonus (logit)", bonus, f"~{bonus_points(spec, bonus):.1f} accuracy points"),
        ("power of the primary test", res.power, f"alpha={alpha}"),
        ("false-positive rate, primary test (bonus 0)", res.fpr_primary, "should be ~alpha"),
        ("false-positive rate, paper's OLS (bonus 0)", res.fpr_paper_ols, "the reproduced invalid test"),
        ("CI coverage, primary test", res.coverage, f"marginal estimand {res.estimand:.3f}"),
        (f"minimum detectable bonus at {power:.0%} power (logit)", mdb,
         "not detectable below 3 logits" if not np.isfinite(mdb) else f"~{bonus_points(spec, mdb):.1f} accuracy points"),
    ]
    summary = pd.DataFrame(rows, columns=["quantity", "value", "note"], dtype=object)
    curve = pd.DataFrame([{"bonus_logit": b, "bonus_points": bonus_points(spec, b),
                           "power": power_analysis(replace(spec, bonus=b), n_sims=n_sims, alpha=alpha,
                                                   seed=seed, mode="binomial").power}
                          for b in BONUS_GRID])
    return summary, curve


def assumptions(spec: SimSpec | None = None) -> str:
    """The simulator's nuisance parameters, for the report text."""
    spec = spec or SimSpec()
    skip = {"n_models", "semitic_langs", "control_langs", "n_items", "bonus", "cot_effect"}
    return ", ".join(f"{f.name}={getattr(spec, f.name)}" for f in fields(spec) if f.name not in skip)

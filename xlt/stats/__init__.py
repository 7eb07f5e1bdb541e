"""Statistics for xlt: paired item-level intervals, language-level tests of a
Semitic advantage, power analysis and format/relatedness disentangling.

The unit of inference for family effects is the LANGUAGE, never the
model x language cell (see :mod:`xlt.stats.primary`).
"""

from xlt.stats.adjusted import holm, primary_test, tost_feasibility
from xlt.stats.disentangle import DisentangleResult, EffectEstimate, disentangle, format_effect, matrix_cells
from xlt.stats.paired import PairedDiff, paired_difference, wilson_interval
from xlt.stats.power import PowerResult, minimum_detectable_bonus, power_analysis
from xlt.stats.primary import (
    RegressionResult,
    TestResult,
    TostResult,
    cell_table,
    chance_logit,
    language_level_arrays,
    language_level_test,
    language_table,
    paper_ols,
    paper_ols_arrays,
    relatedness_regression,
    tost_equivalence,
)
from xlt.stats.stress import SCENARIOS, StressSpec, stress_counts
from xlt.stats.simulate import (
    MatrixSpec,
    SimSpec,
    estimand_bonus,
    estimand_matrix,
    simulate,
    simulate_counts,
    simulate_matrix,
)

__all__ = [
    "holm", "primary_test", "tost_feasibility", "SCENARIOS", "StressSpec", "stress_counts",
    "DisentangleResult", "EffectEstimate", "disentangle", "format_effect", "matrix_cells",
    "PairedDiff", "paired_difference", "wilson_interval",
    "PowerResult", "minimum_detectable_bonus", "power_analysis",
    "RegressionResult", "TestResult", "TostResult", "cell_table", "chance_logit",
    "language_level_arrays", "language_level_test", "language_table", "paper_ols",
    "paper_ols_arrays", "relatedness_regression", "tost_equivalence",
    "MatrixSpec", "SimSpec", "estimand_bonus", "estimand_matrix", "simulate",
    "simulate_counts", "simulate_matrix",
]  # fmt: skip

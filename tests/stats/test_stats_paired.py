"""Unit tests for paired (McNemar-type) and Wilson intervals."""

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from xlt.stats import paired_difference, wilson_interval


def _vectors(both: int, gained: int, lost: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    before = np.array([1] * both + [0] * gained + [1] * lost + [0] * neither)
    after = np.array([1] * both + [1] * gained + [0] * lost + [0] * neither)
    return before, after


def test_wald_paired_interval_hand_computed() -> None:
    # 26 items: 8 right in both, 5 gained, 4 lost, 9 wrong in both.
    # diff = (5-4)/26 = 0.038462; se = sqrt((5+4) - 1/26)/26 = 0.115138
    # 95 %: 0.038462 -/+ 1.959964*0.115138 = (-0.187204, 0.264127)
    r = paired_difference(*_vectors(8, 5, 4, 9), method="wald")
    assert r.difference == pytest.approx(1 / 26)
    assert r.ci == pytest.approx((-0.187204, 0.264127), abs=1e-5)
    assert r.p_value == pytest.approx(1.0)  # exact McNemar: 5 vs 4 discordant


def test_newcombe_paired_interval_hand_computed() -> None:
    # Same table. Wilson 95 % for after = 13/26: (0.320606, 0.679394);
    # before = 12/26: (0.287559, 0.645421) ... assembled by Newcombe's method 10:
    # phi = (8*9 - 5*4)/sqrt(13*13*12*14) = 52/168.0952 = 0.309348
    lo_a, hi_a = 0.320606, 0.679394
    lo_b, hi_b = 0.287559, 0.645421
    p_a, p_b, phi = 13 / 26, 12 / 26, 52 / np.sqrt(13 * 13 * 12 * 14)
    delta = np.sqrt((p_a - lo_a) ** 2 - 2 * phi * (p_a - lo_a) * (hi_b - p_b) + (hi_b - p_b) ** 2)
    eps = np.sqrt((hi_a - p_a) ** 2 - 2 * phi * (hi_a - p_a) * (p_b - lo_b) + (p_b - lo_b) ** 2)
    r = paired_difference(*_vectors(8, 5, 4, 9))
    assert r.ci == pytest.approx((1 / 26 - delta, 1 / 26 + eps), abs=1e-5)
    assert r.ci == pytest.approx((-0.175161, 0.246277), abs=1e-5)
    assert r.ci_after == pytest.approx((lo_a, hi_a), abs=1e-5)


def test_mcnemar_detects_one_sided_gains() -> None:
    r = paired_difference(*_vectors(50, 20, 2, 28))
    assert r.difference == pytest.approx(0.18)
    assert r.p_value < 0.001 and r.ci[0] > 0


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (57, 100), (100, 100), (812, 900)])
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    ours = wilson_interval(k, n)
    assert float(ours[0]) == pytest.approx(lo, abs=1e-12)
    assert float(ours[1]) == pytest.approx(hi, abs=1e-12)

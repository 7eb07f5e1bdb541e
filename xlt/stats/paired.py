"""Paired (McNemar-type) intervals and Wilson intervals for Belebele accuracies.

Baseline and fine-tuned runs of one model answer the *same* items, so their
accuracy difference must be analysed as paired: only discordant items carry
information. We provide

* the McNemar test (exact binomial on discordant pairs, via statsmodels);
* Newcombe's (1998) hybrid-score interval for a paired difference of
  proportions ("method 10", built from Wilson limits with the phi correlation
  correction) -- the default, because it stays inside [-1, 1] and keeps its
  coverage with few discordant pairs, where the Wald interval does not;
* the Wald interval for the paired difference (for reference).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

__all__ = ["PairedDiff", "wilson_interval", "paired_difference"]


def wilson_interval(k: float | np.ndarray, n: float | np.ndarray, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion ``k / n`` (vectorised; statsmodels'
    ``proportion_confint(method="wilson")``, clipped to [0, 1])."""
    lo, hi = proportion_confint(np.asarray(k, dtype=float), np.asarray(n, dtype=float), alpha=alpha, method="wilson")
    return np.asarray(lo), np.asarray(hi)


@dataclass(frozen=True)
class PairedDiff:
    """Accuracy difference ``acc_after - acc_before`` on paired items."""

    n: int
    n_both: int  # correct in both
    n_gained: int  # wrong before, correct after
    n_lost: int  # correct before, wrong after
    n_neither: int
    difference: float
    ci: tuple[float, float]
    method: str
    p_value: float  # McNemar (exact binomial on discordant pairs)
    acc_before: float
    acc_after: float
    ci_before: tuple[float, float]  # Wilson
    ci_after: tuple[float, float]  # Wilson


def _newcombe(a: int, b: int, c: int, d: int, alpha: float) -> tuple[float, float]:
    """Newcombe (1998) method 10 for p1 - p2 with p1 = (a+b)/n, p2 = (a+c)/n."""
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = (float(x) for x in wilson_interval(a + b, n, alpha))
    l2, u2 = (float(x) for x in wilson_interval(a + c, n, alpha))
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / np.sqrt(margins) if margins > 0 else 0.0
    theta = p1 - p2
    delta = np.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    eps = np.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return max(-1.0, theta - delta), min(1.0, theta + eps)


def _wald(b: int, c: int, n: int, alpha: float) -> tuple[float, float]:
    """Wald interval for (b - c)/n from the multinomial variance of the paired table."""
    theta = (b - c) / n
    se = np.sqrt(max((b + c) - (b - c) ** 2 / n, 0.0)) / n
    z = norm.ppf(1 - alpha / 2)
    return theta - z * se, theta + z * se


def paired_difference(
    before: np.ndarray, after: np.ndarray, alpha: float = 0.05, method: str = "newcombe"
) -> PairedDiff:
    """Paired accuracy difference ``mean(after) - mean(before)`` with a CI.

    ``before``/``after`` are 0/1 vectors over the same items in the same order
    (e.g. zero-shot vs fine-tuned answers of one model). ``method`` is
    ``"newcombe"`` (hybrid score, default) or ``"wald"``.
    """
    x0 = np.asarray(before).astype(bool)
    x1 = np.asarray(after).astype(bool)
    if x0.shape != x1.shape or x0.ndim != 1:
        raise ValueError("before and after must be 1-d vectors over the same items")
    n = int(x0.size)
    both = int(np.sum(x0 & x1))
    gained = int(np.sum(~x0 & x1))
    lost = int(np.sum(x0 & ~x1))
    neither = n - both - gained - lost
    if method == "newcombe":
        # Newcombe's p1 is the "after" accuracy: a=both, b=after-only, c=before-only.
        ci = _newcombe(both, gained, lost, neither, alpha)
    elif method == "wald":
        ci = _wald(gained, lost, n, alpha)
    else:
        raise ValueError(f"unknown method {method!r}")
    table = np.array([[both, lost], [gained, neither]])
    p = float(mcnemar(table, exact=True).pvalue) if gained + lost > 0 else 1.0
    lb, ub = wilson_interval(both + lost, n, alpha)
    la, ua = wilson_interval(both + gained, n, alpha)
    return PairedDiff(
        n=n, n_both=both, n_gained=gained, n_lost=lost, n_neither=neither,
        difference=(gained - lost) / n, ci=(float(ci[0]), float(ci[1])), method=method,
        p_value=p, acc_before=(both + lost) / n, acc_after=(both + gained) / n,
        ci_before=(float(lb), float(ub)), ci_after=(float(la), float(ua)),
    )  # fmt: skip

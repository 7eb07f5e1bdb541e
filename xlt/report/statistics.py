"""Semitic-advantage statistics for the report: the pre-specified PRIMARY test (baseline-adjusted,
precision-weighted, language = unit; :mod:`xlt.stats.adjusted`), its near-chance sensitivity analysis,
the unadjusted contrast (secondary), the paper's OLS (reproduced, labelled invalid), TOST equivalence
with its feasibility, and URIEL relatedness. Primary tests of a sweep's comparisons are Holm-corrected.

All tests run per comparison (fine-tuning source × trained regime) on seed-mean cells, on TRANSFER
targets only: targets that are themselves fine-tuning variants of the source (e.g. arb_Arab for
``lang=ar``) measure in-language learning, not transfer, and would bias a family contrast.
Whatever cannot be estimated is returned as a reason, never raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from xlt.report.uriel import relatedness_map
from xlt.stats.adjusted import ESTIMAND_PRIMARY, ESTIMAND_UNADJUSTED, holm, mde_logit, primary_test, tost_feasibility
from xlt.stats.primary import language_table, paper_ols, relatedness_regression, tost_equivalence

MIN_PER_GROUP = 2  # a family contrast from one language per side is that language's quirk


@dataclass
class ComparisonStats:
    """Results of one comparison; ``missing`` lists what could not be estimated and why."""

    source: str
    regime: str
    tests: list[dict[str, Any]] = field(default_factory=list)
    languages: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)  # primary result, MDE, TOST feasibility


def _row(source: str, regime: str, test: str, label: str, res, scale: str, **extra: Any) -> dict[str, Any]:
    return {"source": source, "regime": regime, "test": test, "label": label, "scale": scale,
            "estimate": res.estimate, "ci_low": res.ci[0], "ci_high": res.ci[1], "se": res.se,
            "p_value": res.p_value, "df": res.df, "n_languages": res.n_languages,
            "n_semitic": res.n_semitic, "n_control": res.n_control,
            "estimate_points": res.estimate_points,
            "ci_low_points": res.ci_points[0] if res.ci_points else math.nan,
            "ci_high_points": res.ci_points[1] if res.ci_points else math.nan, **extra}


def _degenerate(res) -> bool:
    """A fit with (numerically) zero residual variance: no interval or p-value to report."""
    return not (math.isfinite(res.se) and res.se > 1e-9 and math.isfinite(res.p_value))


def transfer_cells(cells: pd.DataFrame, source_variants: tuple[str, ...]) -> pd.DataFrame:
    """Cells of one comparison without the source's own variants, in xlt.stats' cell format."""
    c = cells[~cells["lang"].isin(source_variants)]
    return c[["model", "lang", "semitic", "k_base", "k_ft", "n_items", "family", "genus"]].reset_index(drop=True)


def chance_text(chance: float) -> str:
    """A chance level as the report writes it (25 %, 14.3 %)."""
    return f"{100 * chance:.3g} %"


def compare(cells: pd.DataFrame, source: str, regime: str, source_variants: tuple[str, ...],
            margin: float = 0.25, alpha: float = 0.05, chance: float = 0.25) -> ComparisonStats:
    """Every Semitic-advantage statistic for one (source, regime) comparison; ``chance`` = 1/K of the
    task (0.25 for Belebele's 4 options) for every chance-corrected logit."""
    out = ComparisonStats(source, regime)
    c = transfer_cells(cells, source_variants)
    langs = c.groupby("lang")["semitic"].first()
    n_sem, n_ctl, n_models = int(langs.sum()), int((~langs).sum()), c["model"].nunique()
    if n_sem < MIN_PER_GROUP or n_ctl < MIN_PER_GROUP:
        out.missing.append(f"Semitic-advantage tests need >= {MIN_PER_GROUP} Semitic and >= {MIN_PER_GROUP} "
                           f"control transfer languages (have {n_sem} and {n_ctl})")
        return out
    lt = language_table(c, chance)
    lt = lt.merge(c.groupby("lang")[["family", "genus"]].first().reset_index(), on="lang")
    rel = relatedness_map(source_variants, lt["lang"])
    lt["relatedness"] = lt["lang"].map(rel)
    lt["uriel_distance"] = 1 - lt["relatedness"]
    out.languages = lt.assign(source=source, regime=regime)

    # The paper's test, reproduced: cells treated as independent (they are not: languages are shared).
    if len(c) > 3:
        res = paper_ols(c, alpha=alpha)
        note = "paper's test (reproduced): OLS over model x language cells; iid SEs; NOT a valid test"
        if n_models < 2:
            note += "; with 1 model the cells are just the languages"
        if _degenerate(res):
            out.missing.append("paper's OLS: degenerate fit (no residual variation)")
        else:
            out.tests.append(_row(source, regime, "paper_ols", note, res, "accuracy points", role="reproduction"))
    if len(lt) < 4:
        out.missing.append(f"the baseline-adjusted primary test needs >= 4 transfer languages (have {len(lt)})")
        return out
    primary = primary_test(c, alpha=alpha, chance=chance)
    if _degenerate(primary):
        out.missing.append("the language-level gains do not vary (e.g. every cell at or below chance): "
                           "no primary test, TOST or relatedness regression")
        return out
    out.tests.append(_row(source, regime, "primary", "PRIMARY: language-level test of the gain at equal baseline "
                          "(precision-weighted chance-corrected logit gains, model FE, language = unit)", primary,
                          "logit", role="primary", estimand=ESTIMAND_PRIMARY))
    sens_ok = None
    try:
        sens = primary_test(c, alpha=alpha, chance=chance, exclude_near_chance=True)
        if not _degenerate(sens):
            sens_ok = sens
            out.tests.append(_row(source, regime, "sensitivity", "sensitivity: the primary test without cells whose "
                                  f"baseline is not above chance (Wilson lower bound <= {chance_text(chance)})", sens, "logit",
                                  role="sensitivity", note=sens.note))
        else:
            out.missing.append("sensitivity analysis without near-chance cells: degenerate fit")
    except ValueError as err:
        out.missing.append(f"sensitivity analysis without near-chance cells: {err}")
    un = primary_test(c, alpha=alpha, chance=chance, adjust_baseline=False)
    if not _degenerate(un):
        out.tests.append(_row(source, regime, "unadjusted", "secondary: unadjusted contrast (does not control for "
                              "baseline)", un, "logit", role="secondary", estimand=ESTIMAND_UNADJUSTED))
    tost = tost_equivalence(primary, margin=margin, alpha=alpha)
    feas = tost_feasibility(primary.se, primary.df, margin, alpha)
    out.tests.append({"source": source, "regime": regime, "test": "tost", "role": "equivalence",
                      "label": f"TOST equivalence: |Semitic advantage| < {margin:g} logits ("
                               + ("equivalent" if tost.equivalent else "not shown" if feas.feasible
                                  else "not testable at this design") + ")",
                      "scale": "logit", "estimate": tost.estimate, "ci_low": tost.ci_90[0], "ci_high": tost.ci_90[1],
                      "se": tost.se, "p_value": tost.p_value, "df": tost.df, "n_languages": len(lt),
                      "n_semitic": n_sem, "n_control": n_ctl, "margin": margin,
                      "equivalent": bool(tost.equivalent), "ci_level": 1 - 2 * alpha,
                      "se_needed": feas.se_needed, "feasible": feas.feasible})
    out.summary = {"primary": primary, "sensitivity": sens_ok, "tost": tost, "feasibility": feas, "margin": margin,
                   "alpha": alpha, "chance": chance,
                   "mde_logit": mde_logit(primary.se, primary.df, alpha), "n_models": n_models}
    known = lt.dropna(subset=["relatedness"])
    if len(known) >= 4 and known["relatedness"].std() > 0:
        r = relatedness_regression(known, alpha=alpha)
        out.tests.append({"source": source, "regime": regime, "test": "relatedness", "role": "exploratory",
                          "label": "language-level OLS of gain (logit) on URIEL relatedness to the source (fam)",
                          "scale": "logit per unit relatedness", "estimate": r.slope, "ci_low": r.ci[0],
                          "ci_high": r.ci[1], "se": r.se, "p_value": r.p_value, "df": r.df,
                          "n_languages": r.n_languages})
    else:
        out.missing.append(f"relatedness regression needs >= 4 languages with known, varying URIEL relatedness "
                           f"(have {len(known)})")
    return out


def all_comparisons(cells: pd.DataFrame, conditions: pd.DataFrame, margin: float = 0.25,
                    alpha: float = 0.05, chance: float = 0.25) -> list[ComparisonStats]:
    """One :class:`ComparisonStats` per fine-tuning source × trained regime in the sweep."""
    if cells.empty:
        return []
    trained = cells[cells["source"] != "-"]
    variants = {s: v for s, v in zip(conditions["source"].fillna("-"), conditions["source_variants"]) if v}
    out = []
    for (source, regime), g in trained.groupby(["source", "regime"], sort=False):
        try:
            out.append(compare(g, source, regime, tuple(variants.get(source, ())), margin, alpha, chance))
        except (ValueError, ZeroDivisionError, FloatingPointError) as err:  # degenerate data: say so
            out.append(ComparisonStats(source, regime, missing=[f"tests could not be estimated: {err}"]))
    apply_holm(out, alpha)
    return out


def apply_holm(results: list[ComparisonStats], alpha: float = 0.05) -> None:
    """Holm-correct the primary tests of all comparisons of the sweep (``p_holm`` on each row)."""
    rows = [t for r in results for t in r.tests if t["test"] == "primary"]
    for t, p in zip(rows, holm([t["p_value"] for t in rows], alpha)):
        t["p_holm"] = float(p)
        t["multiplicity"] = f"Holm over the {len(rows)} primary test(s) of this sweep (source x regime)"
    for r in results:
        if "primary" in r.summary:
            r.summary["p_holm"] = next(t["p_holm"] for t in r.tests if t["test"] == "primary")
            r.summary["n_family"] = len(rows)


def tests_frame(results: list[ComparisonStats]) -> pd.DataFrame:
    """All test rows of all comparisons, one table."""
    return pd.DataFrame([t for r in results for t in r.tests])


"""The report's first panel: the question, the estimate in points with its interval, the verdict in
plain words, the weak-vs-strong pattern and the paper's central picture (gain against baseline per
model, Semitic and control targets distinguished)."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from scipy import stats

from xlt.report.statistics import ComparisonStats
from xlt.stats.adjusted import ESTIMAND_PRIMARY, logit_to_points

QUESTION = ("Does fine-tuning on a Semitic source help Semitic transfer targets more than control targets "
            "with the same baseline accuracy?")


def verdict(summary: dict) -> tuple[str, str]:
    """(kind, sentence) for one comparison: kind is advantage / disadvantage / equivalent / inconclusive."""
    prim, tost, feas = summary["primary"], summary["tost"], summary["feasibility"]
    alpha, margin = summary["alpha"], summary["margin"]
    p = summary.get("p_holm", prim.p_value)
    ref = prim.ref_logit if prim.ref_logit is not None else 0.0
    chance = summary.get("chance", 0.25)  # 1/K of the task
    mde = float(logit_to_points(summary["mde_logit"], ref, chance))
    margin_pts = float(logit_to_points(margin, ref, chance))
    if p < alpha:
        kind = "advantage" if prim.estimate > 0 else "disadvantage"
        return kind, (f"A Semitic {kind}: Semitic targets gain {abs(prim.estimate_points):.1f} points "
                      f"{'more' if prim.estimate > 0 else 'less'} than controls of equal baseline "
                      f"(Holm-adjusted p = {p:.3g}).")
    if tost.equivalent:
        return "equivalent", (f"Equivalent within +-{margin:g} logits (about +-{margin_pts:.1f} points): "
                              f"no Semitic advantage larger than the margin.")
    why = "" if feas.feasible else (f" Equivalence (+-{margin:g} logits, about +-{margin_pts:.1f} points) cannot be "
                                     f"shown at this design: it would need SE <= {feas.se_needed:.2f}, it has "
                                     f"{feas.se:.2f}.")
    return "inconclusive", (f"Inconclusive: no Semitic advantage was detected (Holm-adjusted p = {p:.3g}), but "
                            f"the design could only have detected about {mde:.1f} points with 80 % power.{why}")


def _sensitivity(summary: dict) -> str:
    sens = summary["sensitivity"]
    used = sens.note.split("; ")[-1]  # "k of n cells used"
    lo, hi = sens.ci_points
    chance = f"{100 * summary.get('chance', 0.25):.3g} %"
    return (f"Without near-chance cells (baseline not above the {chance} chance level; {used}): "
            f"{sens.estimate_points:+.1f} points "
            f"(CI {lo:+.1f} to {hi:+.1f}), p = {sens.p_value:.3g}.")


def weak_strong(cells: pd.DataFrame) -> str:
    """One sentence on how the gain varies from the weakest to the strongest model."""
    m = cells.groupby("model").agg(base=("acc_base", "mean"), gain=("gain_points", "mean")).sort_values("base")
    if len(m) < 2:
        return f"One model ({m.index[0]}): no weak-vs-strong comparison; its mean gain is {m['gain'].iloc[0]:+.1f} points."
    w, s = m.iloc[0], m.iloc[-1]
    rho = stats.spearmanr(m["base"], m["gain"])[0] if len(m) > 2 else np.sign(s["gain"] - w["gain"])
    trend = "shrink" if rho < 0 else "grow" if rho > 0 else "do not change"
    return (f"Gains {trend} with the baseline: the weakest model ({m.index[0]}, baseline {100 * w['base']:.0f} %) "
            f"gains {w['gain']:+.1f} points, the strongest ({m.index[-1]}, {100 * s['base']:.0f} %) "
            f"{s['gain']:+.1f} (Spearman rho over {len(m)} models {rho:+.2f}).")


def _ci(prim) -> str:
    lo, hi = prim.ci_points
    return (f"{prim.estimate_points:+.1f} points (95 % CI {lo:+.1f} to {hi:+.1f}); "
            f"{prim.estimate:+.2f} logits (CI {prim.ci[0]:+.2f} to {prim.ci[1]:+.2f}), df = {prim.df:.0f}")


def label_bias_sentence(bias: pd.DataFrame, max_rows: int = 4) -> str:
    """How concentrated each condition's answers are (mean over languages of the top label's share)."""
    if bias is None or bias.empty:
        return ""
    b = bias.sort_values("mean_top_share", ascending=False).head(max_rows)
    parts = [f"{r.model} {r.regime}{'' if r.source == '-' else ' from ' + r.source} {100 * r.mean_top_share:.0f} %"
             for r in b.itertuples()]
    more = f" (+{len(bias) - max_rows} more in the label-bias section)" if len(bias) > max_rows else ""
    return ("Label bias - share of questions answered with the condition's most frequent label, mean over "
            "languages: " + "; ".join(parts) + more + ".")


def panel_html(results: list[ComparisonStats], cells: pd.DataFrame, why_not: list[str],
               bias: pd.DataFrame | None = None) -> str:
    """The answer panel's inner HTML (everything escaped)."""
    e = html.escape
    parts = [f'<p class="question"><b>Question.</b> {e(QUESTION)}</p>']
    done = [r for r in results if "primary" in r.summary]
    for r in done:
        kind, text = verdict(r.summary)
        prim, n = r.summary["primary"], r.summary.get("n_family", 1)
        c = cells[(cells["source"] == r.source) & (cells["regime"] == r.regime)]
        parts.append(
            f'<div class="verdict verdict-{kind}" data-verdict="{kind}"><p class="verdict-line">'
            f'<b>{e(r.regime)} from {e(r.source)}:</b> {e(text)}</p>'
            f'<p>Estimate: {e(_ci(prim))}; {prim.n_semitic} Semitic vs {prim.n_control} control transfer '
            f'languages, {r.summary["n_models"]} model(s)'
            + (f"; Holm-corrected over {n} comparisons" if n > 1 else "") + '.</p>'
            + (f'<p>{e(_sensitivity(r.summary))}</p>' if r.summary.get("sensitivity") else "")
            + f'<p>{e(weak_strong(c))}</p></div>')
    if not done:
        parts.append('<div class="verdict verdict-none" data-verdict="none"><p class="verdict-line">'
                     '<b>No answer yet:</b> ' + e("; ".join(why_not) or "no trained comparison") + '</p></div>')
    if label_bias_sentence(bias):
        parts.append(f'<p class="labelbias">{e(label_bias_sentence(bias))}</p>')
    parts.append(f'<p class="note"><b>Estimand.</b> {e(ESTIMAND_PRIMARY)}</p>')
    return "\n".join(parts)


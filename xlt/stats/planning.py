"""Power planning of the primary test (baseline-adjusted, language-level) under the stress simulator.

A :class:`Design` is what a sweep evaluates: models, Semitic and control TRANSFER targets, items per
language; :func:`planned_designs` builds it from a planned sweep's composed configs (``python -m
xlt.power``), the report from a finished sweep's results. :func:`power_summary` gives its operating
characteristics, minimum detectable bonus and power curve. The planner's nuisance parameters are
explicit (:meth:`StressSpec.nuisance`): before a run they are the stress defaults, printed with the
plan; once a sweep has results, :func:`fit_nuisance` takes the observed per-model baselines, language
spread and between-language gain variance from its cells. Effects and minimum detectable effects are
in accuracy POINTS (the report's scale). (Power under the paper-calibrated simulator
:mod:`xlt.stats.simulate`, which calibrates the tests themselves, is :mod:`xlt.stats.power`.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import pandas as pd

from xlt.stats.adjusted import adjusted_arrays, cell_logit_var, tost_feasibility
from xlt.stats.primary import chance_logit, paper_ols_arrays
from xlt.stats.stress import StressSpec, pseudo_true, stress_counts

__all__ = ["operating_characteristics", "power_at", "mde_points", "fit_nuisance", "Design", "power_summary",
           "assumptions", "paper_design", "evaluated_dataset", "planned_designs"]


def _primary(k0, k1, n, sem, chance=0.25, alpha=0.05, **kw):
    return adjusted_arrays(k0, k1, n, sem, chance, alpha, **kw)


def operating_characteristics(spec: StressSpec, n_sims: int = 1000, seed: int = 0, alpha: float = 0.05,
                              margin: float = 0.25) -> dict[str, float]:
    """False-positive rates under ``spec`` with bonus 0, power and CI coverage under ``spec``.

    Coverage is of the pseudo-true estimand (:func:`xlt.stats.stress.pseudo_true`: the primary
    estimate on noise-free cells, averaged over random languages).
    """
    null = replace(spec, bonus_points=0.0)
    k0, k1 = stress_counts(null, n_sims, np.random.default_rng(seed))
    sem, n, c = spec.semitic_mask, spec.n_items, spec.chance
    p0 = _primary(k0, k1, n, sem, c, alpha)
    out = {"fpr_primary": float(np.mean(p0["p_value"] < alpha)),
           "fpr_sensitivity": float(np.nanmean(_primary(k0, k1, n, sem, c, alpha, exclude_near_chance=True)
                                               ["p_value"] < alpha)),
           "fpr_unadjusted": float(np.mean(_primary(k0, k1, n, sem, c, alpha, adjust_baseline=False)
                                            ["p_value"] < alpha)),
           "fpr_paper_ols": float(np.mean(paper_ols_arrays(k0, k1, n, sem)["p_value"] < alpha)),
           "median_se": float(np.median(p0["se"])), "df": float(p0["df"][0])}
    tost = tost_feasibility(out["median_se"], out["df"], margin, alpha)
    out.update(se_needed_tost=tost.se_needed, tost_feasible=tost.feasible)
    if spec.bonus_points:
        k0, k1 = stress_counts(spec, n_sims, np.random.default_rng(seed + 1))
        r = _primary(k0, k1, n, sem, c, alpha)
        true = pseudo_true(spec, lambda a, b, nn, m: _primary(a, b, nn, m, c, alpha))
        out.update(power=float(np.mean(r["p_value"] < alpha)),
                   coverage=float(np.mean((r["lo"] <= true["estimate"]) & (true["estimate"] <= r["hi"]))),
                   estimand_logit=true["estimate"], estimand_points=true["estimate_points"],
                   mean_estimate_points=float(np.mean(r["estimate_points"])))
    return out


def power_at(spec: StressSpec, bonus_points: float, n_sims: int = 400, seed: int = 0, alpha: float = 0.05) -> float:
    """Power of the primary test at a planted Semitic bonus in points. A fixed ``seed`` gives
    common random numbers: the same studies at every bonus (monotone curves, stable bisection)."""
    s = replace(spec, bonus_points=float(bonus_points))
    k0, k1 = stress_counts(s, n_sims, np.random.default_rng(seed))
    return float(np.mean(_primary(k0, k1, s.n_items, s.semitic_mask, s.chance, alpha)["p_value"] < alpha))


def mde_points(spec: StressSpec, power: float = 0.8, n_sims: int = 400, seed: int = 0, alpha: float = 0.05,
               hi: float = 40.0, tol: float = 0.5) -> float:
    """Smallest planted bonus (points) detected with ``power`` (bisection); ``inf`` above ``hi``."""
    if power_at(spec, hi, n_sims, seed, alpha) < power:
        return float("inf")
    lo = 0.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if power_at(spec, mid, n_sims, seed, alpha) >= power else (mid, hi)
    return hi


def _two_way_resid(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Additive fit of a complete (M, L) grid: (model effects, language effects, residuals)."""
    grand = y.mean()
    m, lang = y.mean(1) - grand, y.mean(0) - grand
    return m, lang, y - grand - m[:, None] - lang[None, :]


def fit_nuisance(cells: pd.DataFrame, chance: float = 0.25, base: StressSpec = StressSpec()) -> tuple[StressSpec, dict[str, str]]:
    """Stress nuisance parameters from a sweep's observed cells (``model, lang, k_base, k_ft, n_items``).

    Returns (spec with the fitted values, {parameter: how it was estimated}); what the cells cannot
    identify (e.g. interactions with one model) keeps the default and says so. Sampling variance is
    subtracted from residual variances; the between-language gain spread is NOT (conservative).
    """
    how: dict[str, str] = {}
    wide = cells.pivot_table(index="model", columns="lang", values=["k_base", "k_ft", "n_items"], aggfunc="mean")
    kb, kf, n = (wide[c].to_numpy(float) for c in ("k_base", "k_ft", "n_items"))
    if np.isnan(kb).any():
        return base, {"all": "incomplete model x language grid: simulator defaults"}
    acc0, acc1 = kb / n, kf / n
    fit: dict[str, object] = {"baseline_acc": tuple(float(a) for a in acc0.mean(1))}
    how["baseline_acc"] = "observed mean baseline accuracy per model"
    ceiling = float(min(0.99, max(base.ceiling, acc0.max() + 0.01, acc1.max() + 0.01)))
    fit["ceiling"] = ceiling
    how["ceiling"] = "max(default, highest observed accuracy + 1 point)"
    M, L = kb.shape
    bl = chance_logit(kb, n, chance)
    _, lang_fx, res = _two_way_resid(bl)
    if L >= 3:
        fit["lang_difficulty_sd"] = float(np.std(lang_fx, ddof=1))
        how["lang_difficulty_sd"] = "SD of the languages' model-adjusted baseline logits"
    if M >= 2 and L >= 3:
        noise = float(np.mean(cell_logit_var(kb, n, chance)))
        fit["base_interaction_sd"] = float(np.sqrt(max(np.sum(res**2) / ((M - 1) * (L - 1)) - noise, 0.0)))
        how["base_interaction_sd"] = "residual SD of the baseline two-way fit, sampling variance removed"
    gain = 100 * (acc1 - acc0)
    r = np.clip((ceiling - acc0) / (ceiling - chance), 0, 1)
    if np.ptp(r) > 0.05:
        slope, icpt = np.polyfit(r.ravel(), gain.ravel(), 1)
        fit["gain_strong_points"], fit["gain_weak_points"] = float(icpt), float(icpt + slope)
        how["gain_*_points"] = "OLS of cell gain (points) on headroom (ceiling - baseline)"
        resid = gain - (icpt + slope * r)
    else:
        resid = gain - gain.mean()
    if L >= 3:
        fit["lang_gain_sd_points"] = float(np.std(resid.mean(0), ddof=1))
        how["lang_gain_sd_points"] = "SD over languages of the mean gain residual (incl. any family effect)"
    if M >= 2 and L >= 3:
        _, _, rr = _two_way_resid(resid)
        binom = float(np.mean(1e4 * (acc0 * (1 - acc0) + acc1 * (1 - acc1)) / n))
        fit["gain_interaction_sd_points"] = float(np.sqrt(max(np.sum(rr**2) / ((M - 1) * (L - 1)) - binom, 0.0)))
        how["gain_interaction_sd_points"] = "residual SD of the gain two-way fit, binomial variance removed"
    return replace(base, n_models=M, **fit), how


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


# Items per language in the evaluated split, and labels per item, of each dataset.
EVAL_ITEMS = {"belebele": 900, "sib200": 204}
N_LABELS = {"belebele": 4, "sib200": 7}
PAPER_ITEMS = 100  # the paper's data.n_eval


def paper_design(models: Sequence[str]) -> Design:
    """The paper's 3 vs 3 design for ``models``: its panel minus the ``ar`` source, 100 Belebele items."""
    from xlt.languages import LANGUAGES, PANELS, SOURCE_GROUPS

    targets = [t for t in PANELS["paper"] if t not in SOURCE_GROUPS["ar"]]
    return Design(tuple(models), tuple(t for t in targets if LANGUAGES[t].semitic),
                  tuple(t for t in targets if not LANGUAGES[t].semitic), PAPER_ITEMS)


def evaluated_dataset(cfg, targets: Sequence[str]) -> tuple[str, int]:
    """(dataset, number of labels) a composed config evaluates; ConfigError if it lacks a target."""
    from xlt.errors import ConfigError
    from xlt.languages import DATASETS, LANGUAGES

    task = cfg.task if "task" in cfg else None  # a hand-built config without the task group
    name = None if task is None else str(task.name)
    having = [ds for ds in DATASETS if all(LANGUAGES[t].in_dataset(ds) for t in targets)]
    if name is None:
        if not having:
            lacks = {ds: [t for t in targets if not LANGUAGES[t].in_dataset(ds)] for ds in DATASETS}
            raise ConfigError("no dataset has every target: " +
                              "; ".join(f"{ds} lacks {', '.join(codes)}" for ds, codes in lacks.items()))
        return having[0], N_LABELS[having[0]]
    if name not in EVAL_ITEMS:
        raise ConfigError(f"unknown task {name!r}; valid: {', '.join(EVAL_ITEMS)}")
    missing = [t for t in targets if not LANGUAGES[t].in_dataset(name)]
    if missing:
        hint = f"; {having[0]} has them all: add task={having[0]}" if having else ""
        raise ConfigError(f"task={name} has no {', '.join(missing)}{hint}")
    return name, int(task.n_labels)


def planned_designs(overrides: Sequence[str]) -> dict[str, tuple[Design, str, int]]:
    """``{source: (Design, dataset, n_labels)}`` of a planned sweep (``source@dataset`` when a sweep
    spans several datasets). ``overrides`` are ``python -m xlt.train -m`` overrides: every combination
    is composed and validated (ConfigError, or Hydra's error, naming a bad value)."""
    from xlt.conditions import Condition
    from xlt.config.compose import compose, sweep_combinations
    from xlt.languages import LANGUAGES

    by_key: dict[tuple[str, str, int], dict] = {}
    for combo in sweep_combinations(overrides):
        cfg = compose(combo)
        cond = Condition.from_cfg(cfg)
        dataset, n_labels = evaluated_dataset(cfg, cond.targets)
        d = by_key.setdefault((cond.source, dataset, n_labels),
                              {"models": [], "targets": [], "variants": set(), "n": set()})
        d["models"].append(cond.model)
        d["targets"] += list(cond.targets)
        d["variants"] |= set(cond.source_variants)
        d["n"].add(int(cfg.data.n_eval))
    several = len({k[1:] for k in by_key}) > 1
    out = {}
    for (source, dataset, n_labels), d in by_key.items():
        targets = [t for t in dict.fromkeys(d["targets"]) if t not in d["variants"]]
        sem = tuple(t for t in targets if LANGUAGES[t].semitic)
        ctl = tuple(t for t in targets if not LANGUAGES[t].semitic)
        design = Design(tuple(dict.fromkeys(d["models"])), sem, ctl, min(min(d["n"]), EVAL_ITEMS[dataset]))
        out[f"{source}@{dataset}" if several else source] = (design, dataset, n_labels)
    return out

"""Simulators of item-level Belebele outcomes for calibrating xlt's statistics.

Generative model (logit scale, 4-way chance floor ``c``):

    P(correct) = c + (1 - c) * sigmoid(a_m - d_l - d_i + gain)

* ``a_m``: model ability, evenly spaced from weak to strong (``ability_range``);
* ``d_l``: language difficulty, drawn per study;
* ``d_i``: item difficulty. Belebele is parallel, so an item has a shared
  difficulty plus a per-language deviation; the same items are scored by every
  model and regime of a language (this is what makes McNemar pairing possible);
* ``gain`` (fine-tuned only) = g0 + g_weak * weakness_m + bonus * semitic_l
  + u_l + e_ml. ``u_l`` is language-level gain noise SHARED by all models:
  it is the reason model x language cells are not independent.

Estimand note: an accuracy-based analysis can only see the *marginal* (averaged
over items) curve. With heterogeneous items the marginal logit gain is smaller
than the planted conditional gain (items attenuate it, cf. the probit
approximation factor (1 + pi s^2 / 8)^(-1/2)). :func:`estimand_bonus` computes
the exact marginal-scale estimand by quadrature; it equals ``bonus`` when
``item_difficulty_sd = item_lang_sd = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

__all__ = [
    "SimSpec",
    "MatrixSpec",
    "simulate",
    "simulate_counts",
    "simulate_matrix",
    "estimand_bonus",
    "estimand_matrix",
    "marginal_shift",
    "DEFAULT_FAMILIES",
]

# Gauss-Hermite (probabilists') nodes for averaging over item difficulty.
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(40)
_GH_W = _GH_W / _GH_W.sum()


class _Models:
    """Model abilities shared by both simulators (needs n_models, ability_range, item sds)."""

    @property
    def abilities(self) -> np.ndarray:
        return np.linspace(self.ability_range[0], self.ability_range[1], self.n_models)

    @property
    def weakness(self) -> np.ndarray:
        """1 for the weakest model, 0 for the strongest."""
        a = self.abilities
        span = a.max() - a.min()
        return (a.max() - a) / span if span > 0 else np.zeros_like(a)

    @property
    def item_sd(self) -> float:
        return float(np.hypot(self.item_difficulty_sd, self.item_lang_sd))


@dataclass(frozen=True)
class SimSpec(_Models):
    """All knobs of the target-language (Semitic vs control) simulator."""

    n_models: int = 7
    semitic_langs: tuple[str, ...] = ("heb_Hebr", "amh_Ethi", "mlt_Latn")
    control_langs: tuple[str, ...] = ("jpn_Jpan", "kor_Hang", "fra_Latn")
    n_items: int = 100
    ability_range: tuple[float, float] = (-0.5, 2.5)
    lang_difficulty_sd: float = 0.5
    item_difficulty_sd: float = 0.5
    item_lang_sd: float = 0.2
    g0: float = 0.4
    g_weak: float = 0.5  # extra logit gain for the weakest model (weakness in [0, 1])
    bonus: float = 0.0
    lang_gain_sd: float = 0.3
    cell_gain_sd: float = 0.1
    chance: float = 0.25
    pair_corr: float = 0.5  # P(baseline and fine-tuned share a uniform) -> positive pairing
    cot_effect: float | None = None  # logit shift of a 'cot' regime vs zero-shot

    @property
    def langs(self) -> tuple[str, ...]:
        return tuple(self.semitic_langs) + tuple(self.control_langs)

    @property
    def semitic_mask(self) -> np.ndarray:
        return np.array([1.0] * len(self.semitic_langs) + [0.0] * len(self.control_langs))



def _p(eta: np.ndarray, chance: float) -> np.ndarray:
    return chance + (1.0 - chance) * expit(eta)


def _marginal_logit(x: np.ndarray, item_sd: float) -> np.ndarray:
    """logit of the chance-free accuracy averaged over N(0, item_sd) items."""
    if item_sd == 0:
        return x
    q = (expit(x[..., None] + item_sd * _GH_X) * _GH_W).sum(-1)
    return logit(q)


def marginal_shift(eta: np.ndarray, delta: float, item_sd: float) -> float:
    """Mean over ``eta`` of the marginal logit change caused by adding ``delta``."""
    eta = np.asarray(eta, dtype=float)
    return float(np.mean(_marginal_logit(eta + delta, item_sd) - _marginal_logit(eta, item_sd)))


def estimand_bonus(spec: SimSpec, n_quad: int = 12) -> float:
    """Marginal-scale Semitic bonus that :func:`xlt.stats.language_level_test` targets.

    Defined as E[ M(eta + gamma + bonus) - M(eta + gamma) ] where ``M`` is the
    marginal (item-averaged, chance-corrected) logit, ``eta = a_m - d_l`` the
    baseline linear predictor and ``gamma`` the control-language gain, averaged
    over models, language difficulty and gain noise (tensor Gauss-Hermite).
    """
    x, w = np.polynomial.hermite_e.hermegauss(n_quad)
    w = w / w.sum()
    noise_sd = float(np.hypot(spec.lang_gain_sd, spec.cell_gain_sd))
    a = spec.abilities[:, None, None]
    g = (spec.g0 + spec.g_weak * spec.weakness)[:, None, None]
    eta = a - spec.lang_difficulty_sd * x[None, :, None]
    gamma = g + noise_sd * x[None, None, :]
    diff = _marginal_logit(eta + gamma + spec.bonus, spec.item_sd) - _marginal_logit(
        eta + gamma, spec.item_sd
    )
    weights = w[None, :, None] * w[None, None, :] / spec.n_models
    return float((diff * weights).sum())


def _draw_linear(spec: SimSpec, rng: np.random.Generator, n_sims: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-study baseline and fine-tuned linear predictors, shape (S, M, L) each."""
    M, L = spec.n_models, len(spec.langs)
    d_l = rng.normal(0.0, spec.lang_difficulty_sd, (n_sims, 1, L))
    u_l = rng.normal(0.0, spec.lang_gain_sd, (n_sims, 1, L))  # shared by all models
    e_ml = rng.normal(0.0, spec.cell_gain_sd, (n_sims, M, L))
    eta0 = spec.abilities[None, :, None] - d_l
    gain = (
        spec.g0
        + spec.g_weak * spec.weakness[None, :, None]
        + spec.bonus * spec.semitic_mask[None, None, :]
        + u_l
        + e_ml
    )
    return eta0, eta0 + gain


def simulate_counts(
    spec: SimSpec,
    n_sims: int,
    rng: np.random.Generator,
    mode: str = "items",
    uniforms: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised correct-answer counts ``(k_base, k_ft)``, each of shape (S, M, L).

    ``mode="items"`` draws item difficulties and Bernoulli outcomes (exact).
    ``mode="binomial"`` draws counts from Binomial(n, marginal p) by inverse CDF,
    ignoring the shared item sample (fast; used for power curves). Passing the
    same ``uniforms`` (shape (2, S, M, L)) couples draws across bonus values so
    that power is monotone in the bonus during bisection.
    """
    eta0, eta1 = _draw_linear(spec, rng, n_sims)
    n, c = spec.n_items, spec.chance
    if mode == "binomial":
        from scipy.stats import binom

        p0 = c + (1 - c) * expit(_marginal_logit(eta0, spec.item_sd))
        p1 = c + (1 - c) * expit(_marginal_logit(eta1, spec.item_sd))
        if uniforms is None:
            uniforms = rng.random((2,) + p1.shape)
        k0 = binom.ppf(uniforms[0], n, np.broadcast_to(p0, p1.shape))
        k1 = binom.ppf(uniforms[1], n, p1)
        return k0.astype(np.int64), k1.astype(np.int64)
    if mode != "items":
        raise ValueError(f"unknown mode {mode!r}")
    M, L = spec.n_models, len(spec.langs)
    k0 = np.empty((n_sims, M, L), dtype=np.int64)
    k1 = np.empty_like(k0)
    # Chunk over studies so the (S, M, L, n) arrays stay ~ a few million floats.
    chunk = max(1, 3_000_000 // (M * L * n))
    for s in range(0, n_sims, chunk):
        sl = slice(s, min(n_sims, s + chunk))
        S = sl.stop - sl.start
        d_i = rng.normal(0.0, spec.item_difficulty_sd, (S, 1, 1, n)) + rng.normal(
            0.0, spec.item_lang_sd, (S, 1, L, n)
        )
        k0[sl] = (rng.random((S, M, L, n)) < _p(eta0[sl, :, :, None] - d_i, c)).sum(-1)
        k1[sl] = (rng.random((S, M, L, n)) < _p(eta1[sl, :, :, None] - d_i, c)).sum(-1)
    return k0, k1


def _paired_bernoulli(
    rng: np.random.Generator, p0: np.ndarray, p1: np.ndarray, pair_corr: float
) -> tuple[np.ndarray, np.ndarray]:
    """Bernoulli pairs with the given marginals; a shared uniform (probability
    ``pair_corr``) makes a fine-tuned model mostly repeat its base answers."""
    u0 = rng.random(p0.shape)
    shared = rng.random(p0.shape) < pair_corr
    u1 = np.where(shared, u0, rng.random(p0.shape))
    return (u0 < p0).astype(np.int8), (u1 < p1).astype(np.int8)


def simulate(spec: SimSpec, seed: int | np.random.Generator | None = 0) -> pd.DataFrame:
    """One simulated study as a tidy item-level frame.

    Columns: ``model, lang, semitic, item, regime, correct`` with regime in
    ``'zero_shot' | 'finetune'`` (and ``'cot'`` if ``spec.cot_effect`` is set).
    Baseline and fine-tuned outcomes of a model are paired on the same items.
    """
    rng = np.random.default_rng(seed)
    eta0, eta1 = _draw_linear(spec, rng, 1)
    eta0, eta1 = eta0[0], eta1[0]  # (M, L)
    M, L, n = spec.n_models, len(spec.langs), spec.n_items
    d_i = rng.normal(0.0, spec.item_difficulty_sd, (1, 1, n)) + rng.normal(
        0.0, spec.item_lang_sd, (1, L, n)
    )
    p0 = _p(np.broadcast_to(eta0[:, :, None], (M, L, n)) - d_i, spec.chance)
    p1 = _p(eta1[:, :, None] - d_i, spec.chance)
    y0, y1 = _paired_bernoulli(rng, p0, p1, spec.pair_corr)
    regimes = {"zero_shot": y0, "finetune": y1}
    if spec.cot_effect is not None:
        p2 = _p(eta0[:, :, None] + spec.cot_effect - d_i, spec.chance)
        regimes["cot"] = _paired_bernoulli(rng, p0, p2, spec.pair_corr)[1]
    m_idx, l_idx, i_idx = np.meshgrid(np.arange(M), np.arange(L), np.arange(n), indexing="ij")
    langs = np.array(spec.langs)
    frames = []
    for regime, y in regimes.items():
        frames.append(
            pd.DataFrame(
                {
                    "model": np.char.add("m", m_idx.ravel().astype(str)),
                    "lang": langs[l_idx.ravel()],
                    "semitic": spec.semitic_mask[l_idx.ravel()].astype(bool),
                    "item": i_idx.ravel(),
                    "regime": regime,
                    "correct": y.ravel().astype(np.int64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------
# Source x target design (issue "disentangle")
# --------------------------------------------------------------------------

DEFAULT_FAMILIES: dict[str, str] = {
    "arb_Arab": "semitic", "heb_Hebr": "semitic", "amh_Ethi": "semitic", "mlt_Latn": "semitic",
    "fra_Latn": "romance", "spa_Latn": "romance", "ita_Latn": "romance", "por_Latn": "romance",
    "rus_Cyrl": "slavic", "pol_Latn": "slavic", "ukr_Cyrl": "slavic", "ces_Latn": "slavic",
    "hin_Deva": "indic", "ben_Beng": "indic", "mar_Deva": "indic", "urd_Arab": "indic",
}  # fmt: skip


@dataclass(frozen=True)
class MatrixSpec(_Models):
    """Knobs of the source x target simulator.

    Fine-tuning on source ``s`` shifts target ``t`` by
    ``format_effect + g_weak*(weakness_m - mean) + u_t + src_s + relatedness_effect*rel(s,t)
    + v_st + e_mst``; the ``finetune_format`` regime (format-only data) gets
    ``format_effect + g_weak*(weakness_m - mean) + u_t + e_mt``. ``u_t`` is shared by all
    sources, models and both fine-tuned regimes. ``rel`` is the family indicator
    unless ``continuous_relatedness`` (then drawn per study in [0, 1], higher
    within a family, like a URIEL similarity).
    """

    n_models: int = 5
    sources: tuple[str, ...] = ("arb_Arab", "fra_Latn", "rus_Cyrl", "hin_Deva")
    targets: tuple[str, ...] = (
        "heb_Hebr", "amh_Ethi", "mlt_Latn", "spa_Latn", "ita_Latn", "por_Latn",
        "pol_Latn", "ukr_Cyrl", "ces_Latn", "ben_Beng", "mar_Deva", "urd_Arab",
    )  # fmt: skip
    families: tuple[tuple[str, str], ...] = tuple(DEFAULT_FAMILIES.items())
    continuous_relatedness: bool = False
    n_items: int = 200
    ability_range: tuple[float, float] = (-0.5, 2.5)
    lang_difficulty_sd: float = 0.5
    item_difficulty_sd: float = 0.5
    item_lang_sd: float = 0.2
    format_effect: float = 0.5
    relatedness_effect: float = 0.3
    g_weak: float = 0.4
    target_gain_sd: float = 0.3
    source_gain_sd: float = 0.2
    pair_gain_sd: float = 0.15
    cell_gain_sd: float = 0.1
    chance: float = 0.25
    pair_corr: float = 0.5

    @property
    def centered_weakness(self) -> np.ndarray:
        """Weakness minus its mean, so ``format_effect`` is the model-average gain."""
        return self.weakness - self.weakness.mean()

    def related(self) -> np.ndarray:
        """(S, T) same-family indicator."""
        fam = dict(self.families)
        return np.array([[float(fam[s] == fam[t]) for t in self.targets] for s in self.sources])


def _matrix_estimands(spec: MatrixSpec, n_mc: int = 40_000) -> tuple[float, float]:
    """Marginal-scale (format, relatedness-per-unit) estimands, by fixed-seed Monte Carlo."""
    rng = np.random.default_rng(12345)
    m = rng.integers(0, spec.n_models, n_mc)
    eta = spec.abilities[m] - rng.normal(0, spec.lang_difficulty_sd, n_mc)
    base_gain = spec.format_effect + spec.g_weak * spec.centered_weakness[m]
    noise_fmt = rng.normal(0, np.hypot(spec.target_gain_sd, spec.cell_gain_sd), n_mc)
    fmt = float(
        np.mean(_marginal_logit(eta + base_gain + noise_fmt, spec.item_sd) - _marginal_logit(eta, spec.item_sd))
    )
    extra = rng.normal(0, np.hypot(spec.source_gain_sd, spec.pair_gain_sd), n_mc)
    x = eta + base_gain + noise_fmt + extra
    rel = marginal_shift(x, spec.relatedness_effect, spec.item_sd) if spec.relatedness_effect else 0.0
    return fmt, rel


def estimand_matrix(spec: MatrixSpec) -> dict[str, float]:
    """Marginal-scale estimands targeted by :func:`xlt.stats.disentangle`."""
    fmt, rel = _matrix_estimands(spec)
    return {"format": fmt, "relatedness": rel}


def simulate_matrix(
    spec: MatrixSpec, seed: int | np.random.Generator | None = 0, level: str = "items"
) -> pd.DataFrame:
    """One simulated source x target study.

    ``level="items"``: columns ``model, source, target, related, relatedness,
    regime, item, correct`` (source/related/relatedness are missing for the
    ``zero_shot`` and ``finetune_format`` regimes, which have no source).
    ``level="cells"``: the same aggregated to ``n_correct, n_items`` per cell.
    """
    rng = np.random.default_rng(seed)
    M, S, T, n = spec.n_models, len(spec.sources), len(spec.targets), spec.n_items
    related = spec.related()
    if spec.continuous_relatedness:
        # URIEL-like similarity: related pairs in [0.5, 1], unrelated in [0, 0.5].
        rel = np.where(related > 0, 0.5, 0.0) + 0.5 * rng.random((S, T))
    else:
        rel = related
    d_t = rng.normal(0, spec.lang_difficulty_sd, T)
    u_t = rng.normal(0, spec.target_gain_sd, T)
    src = rng.normal(0, spec.source_gain_sd, S)
    v_st = rng.normal(0, spec.pair_gain_sd, (S, T))
    w = spec.centered_weakness
    eta0 = spec.abilities[:, None] - d_t[None, :]  # (M, T)
    common = spec.format_effect + spec.g_weak * w[:, None] + u_t[None, :]
    eta_fmt = eta0 + common + rng.normal(0, spec.cell_gain_sd, (M, T))
    eta_ft = (
        eta0[:, None, :]
        + common[:, None, :]
        + src[None, :, None]
        + spec.relatedness_effect * rel[None]
        + v_st[None]
        + rng.normal(0, spec.cell_gain_sd, (M, S, T))
    )  # (M, S, T)
    d_i = rng.normal(0, spec.item_difficulty_sd, (1, n)) + rng.normal(0, spec.item_lang_sd, (T, n))
    c = spec.chance
    p0 = _p(eta0[:, :, None] - d_i[None], c)
    u0 = rng.random(p0.shape)
    y0 = (u0 < p0).astype(np.int8)

    def paired(p: np.ndarray) -> np.ndarray:
        base_u = np.broadcast_to(u0, p.shape) if p.ndim == 3 else np.broadcast_to(u0[:, None], p.shape)
        shared = rng.random(p.shape) < spec.pair_corr
        return (np.where(shared, base_u, rng.random(p.shape)) < p).astype(np.int8)

    y_fmt = paired(_p(eta_fmt[:, :, None] - d_i[None], c))
    y_ft = paired(_p(eta_ft[..., None] - d_i[None, None], c))  # (M, S, T, n)

    models = np.array([f"m{i}" for i in range(M)])
    tg = np.array(spec.targets)
    sc = np.array(spec.sources)
    frames: list[pd.DataFrame] = []
    if level == "items":
        mi, ti, ii = np.meshgrid(np.arange(M), np.arange(T), np.arange(n), indexing="ij")
        for regime, y in (("zero_shot", y0), ("finetune_format", y_fmt)):
            frames.append(pd.DataFrame({
                "model": models[mi.ravel()], "source": None, "target": tg[ti.ravel()],
                "related": np.nan, "relatedness": np.nan, "regime": regime,
                "item": ii.ravel(), "correct": y.ravel().astype(np.int64)}))  # fmt: skip
        mi, si, ti, ii = np.meshgrid(np.arange(M), np.arange(S), np.arange(T), np.arange(n), indexing="ij")
        frames.append(pd.DataFrame({
            "model": models[mi.ravel()], "source": sc[si.ravel()], "target": tg[ti.ravel()],
            "related": related[si.ravel(), ti.ravel()], "relatedness": rel[si.ravel(), ti.ravel()],
            "regime": "finetune", "item": ii.ravel(), "correct": y_ft.ravel().astype(np.int64)}))  # fmt: skip
        return pd.concat(frames, ignore_index=True)
    if level != "cells":
        raise ValueError(f"unknown level {level!r}")
    mi, ti = np.meshgrid(np.arange(M), np.arange(T), indexing="ij")
    for regime, y in (("zero_shot", y0), ("finetune_format", y_fmt)):
        frames.append(pd.DataFrame({
            "model": models[mi.ravel()], "source": None, "target": tg[ti.ravel()],
            "related": np.nan, "relatedness": np.nan, "regime": regime,
            "n_correct": y.sum(-1).ravel().astype(np.int64), "n_items": n}))  # fmt: skip
    mi, si, ti = np.meshgrid(np.arange(M), np.arange(S), np.arange(T), indexing="ij")
    frames.append(pd.DataFrame({
        "model": models[mi.ravel()], "source": sc[si.ravel()], "target": tg[ti.ravel()],
        "related": related[si.ravel(), ti.ravel()], "relatedness": rel[si.ravel(), ti.ravel()],
        "regime": "finetune", "n_correct": y_ft.sum(-1).ravel().astype(np.int64), "n_items": n}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


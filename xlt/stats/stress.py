"""A stress simulator for the primary test, separate from :mod:`xlt.stats.simulate` (calibration).

It plants nothing on the logit scale the tests use. Generative process per study:

* baseline, chance-free logit ``eta0_ml = a_m - d_l - semitic_harder * semitic_l + b_ml``:
  model ability ``a_m`` (the weakest near or at chance), language difficulty ``d_l``, a
  model x language interaction ``b_ml``; accuracy of an item ``c + (ceiling - c) expit(eta0_ml - d_i)``
  with per-language item spread ``d_i ~ N(0, sd_l)``, ``sd_l ~ U(item_sd_range)``; Belebele is
  parallel, so one item sample per language is shared by every model;
* gain in POINTS that shrinks with the cell's baseline ``p0``: ``g_strong + (g_weak - g_strong) r``
  with headroom ``r = (ceiling - p0)/(ceiling - c)`` (a weak model +30, a strong one +1), plus a
  language-level gain shared by all models ``u_l``, a model x language interaction ``e_ml``, a
  per-run seed effect, and ``bonus_points`` on Semitic targets (the alternative);
* an item's fine-tuned accuracy moves with its own headroom, clipped to ``[0, ceiling]``; answers
  are paired with the baseline's (shared uniforms), seeds are averaged per cell.

Under ``bonus_points = 0`` there is no Semitic effect at all, even when Semitic targets are harder
(``semitic_harder > 0``: a confounded null).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import expit, logit

__all__ = ["StressSpec", "SCENARIOS", "stress_counts", "pseudo_true"]


@dataclass(frozen=True)
class StressSpec:
    """Knobs of the stress simulator (all nuisance parameters; ``bonus_points`` is the effect)."""

    n_models: int = 5
    n_semitic: int = 3
    n_control: int = 3
    n_items: int = 100
    n_seeds: int = 2
    chance: float = 0.25
    ceiling: float = 0.95
    ability_range: tuple[float, float] = (-2.0, 2.5)  # chance-free logits, weak -> strong
    baseline_acc: tuple[float, ...] | None = None  # per-model mean baseline accuracy (overrides the range)
    lang_difficulty_sd: float = 0.5
    semitic_harder: float = 0.0
    base_interaction_sd: float = 0.3
    item_sd_range: tuple[float, float] = (0.3, 1.0)
    gain_weak_points: float = 30.0
    gain_strong_points: float = 1.0
    lang_gain_sd_points: float = 3.0
    gain_interaction_sd_points: float = 2.0
    seed_sd_points: float = 1.0
    bonus_points: float = 0.0
    pair_corr: float = 0.6

    @property
    def semitic_mask(self) -> np.ndarray:
        return np.r_[np.ones(self.n_semitic), np.zeros(self.n_control)]

    @property
    def abilities(self) -> np.ndarray:
        if self.baseline_acc is not None:
            q = (np.clip(self.baseline_acc, self.chance + 1e-3, self.ceiling - 1e-3) - self.chance) / (
                self.ceiling - self.chance)
            return logit(q)
        return np.linspace(*self.ability_range, self.n_models)

    def nuisance(self) -> dict[str, object]:
        """Every parameter but the design and the effect, for printing before a run."""
        skip = {"n_models", "n_semitic", "n_control", "n_items", "bonus_points"}
        return {k: v for k, v in self.__dict__.items() if k not in skip}


SCENARIOS: dict[str, StressSpec] = {
    "exchangeable": StressSpec(),
    "confounded": StressSpec(semitic_harder=0.8),
    "near_chance": StressSpec(semitic_harder=0.8, ability_range=(-4.0, 2.5)),
    "heavy_interaction": StressSpec(semitic_harder=0.8, base_interaction_sd=0.8, gain_interaction_sd_points=5.0,
                                    item_sd_range=(0.1, 1.8), lang_gain_sd_points=4.0),
    "extended_panel": StressSpec(semitic_harder=0.8, n_semitic=4, n_control=12, n_items=200),
}  # fmt: skip


def _cell_probs(spec: StressSpec, rng: np.random.Generator, S: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-study item spread (S, 1, L, 1) and cell-level baseline logit and gain in points."""
    M, L = spec.n_models, spec.n_semitic + spec.n_control
    sem = spec.semitic_mask
    d_l = rng.normal(0, spec.lang_difficulty_sd, (S, 1, L)) + spec.semitic_harder * sem
    eta0 = spec.abilities[None, :, None] - d_l + rng.normal(0, spec.base_interaction_sd, (S, M, L))
    gain_noise = (rng.normal(0, spec.lang_gain_sd_points, (S, 1, L))
                  + rng.normal(0, spec.gain_interaction_sd_points, (S, M, L)) + spec.bonus_points * sem)
    item_sd = rng.uniform(*spec.item_sd_range, (S, 1, L, 1))
    return item_sd, eta0, gain_noise


def stress_counts(spec: StressSpec, n_sims: int, rng: np.random.Generator,
                  chunk_cells: int = 2_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Correct counts ``(k_base, k_ft)``, each (S, M, L); ``k_ft`` is the mean over seeds."""
    M, L, n, R = spec.n_models, spec.n_semitic + spec.n_control, spec.n_items, spec.n_seeds
    c, top = spec.chance, spec.ceiling
    k0 = np.empty((n_sims, M, L))
    k1 = np.empty((n_sims, M, L))
    step = max(1, chunk_cells // (M * L * n))
    for s0 in range(0, n_sims, step):
        S = min(step, n_sims - s0)
        item_sd, eta0, gain_noise = _cell_probs(spec, rng, S)
        d_i = rng.standard_normal((S, 1, L, n)) * item_sd  # shared by models: parallel items
        p0_i = c + (top - c) * expit(eta0[..., None] - d_i)
        p0 = p0_i.mean(-1)  # the cell's baseline accuracy
        r = np.clip((top - p0) / (top - c), 0, 1)
        gain = spec.gain_strong_points + (spec.gain_weak_points - spec.gain_strong_points) * r + gain_noise
        u0 = rng.random(p0_i.shape)
        k0[s0:s0 + S] = (u0 < p0_i).sum(-1)
        acc = np.zeros((S, M, L))
        for _ in range(R):
            g = (gain + rng.normal(0, spec.seed_sd_points, (S, M, 1)))[..., None] / 100.0
            # An item moves with its own headroom (up) or its own distance from 0 (down).
            room = np.where(g >= 0, (top - p0_i) / np.maximum(top - p0, 1e-6)[..., None],
                            p0_i / np.maximum(p0, 1e-6)[..., None])
            p1_i = np.clip(p0_i + g * room, 0.0, top)
            u1 = np.where(rng.random(p0_i.shape) < spec.pair_corr, u0, rng.random(p0_i.shape))
            acc += (u1 < p1_i).sum(-1)
        k1[s0:s0 + S] = acc / R
    return k0, k1


def pseudo_true(spec: StressSpec, test, n_sims: int = 400, seed: int = 99_999, big_n: int = 20_000) -> dict[str, float]:
    """The estimand of ``test`` under ``spec``: its mean over studies of noise-free cells.

    Counts are the expected ones of ``big_n`` items (no sampling noise, no seed noise), languages
    and interactions still random; ``test(k0, k1, n, semitic)`` returns a dict with ``estimate``
    (logits) and ``estimate_points``.
    """
    s = replace(spec, n_items=big_n, n_seeds=1, seed_sd_points=0.0, pair_corr=1.0)
    rng = np.random.default_rng(seed)
    c, top = s.chance, s.ceiling
    item_sd, eta0, gain_noise = _cell_probs(s, rng, n_sims)
    x = np.polynomial.hermite_e.hermegauss(24)
    nodes, wts = x[0], x[1] / x[1].sum()
    p0_i = c + (top - c) * expit(eta0[..., None] - item_sd[..., 0, None] * nodes)  # quadrature over items
    p0 = (p0_i * wts).sum(-1)
    r = np.clip((top - p0) / (top - c), 0, 1)
    g = (s.gain_strong_points + (s.gain_weak_points - s.gain_strong_points) * r + gain_noise)[..., None] / 100
    room = np.where(g >= 0, (top - p0_i) / np.maximum(top - p0, 1e-6)[..., None], p0_i / np.maximum(p0, 1e-6)[..., None])
    p1 = (np.clip(p0_i + g * room, 0, top) * wts).sum(-1)
    res = test(p0 * big_n, p1 * big_n, big_n, s.semitic_mask)
    return {"estimate": float(np.mean(res["estimate"])), "estimate_points": float(np.mean(res["estimate_points"]))}



"""Acceptance: format vs relatedness are separated with calibrated intervals."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from xlt.stats import MatrixSpec, disentangle, estimand_matrix, simulate_matrix

N_SIMS = 200


def _run(spec: MatrixSpec, predictor: str) -> tuple[float, float, float, float]:
    tgt = estimand_matrix(spec)
    cov_f = cov_r = 0
    fmt_est = []
    for seed in range(N_SIMS):
        r = disentangle(simulate_matrix(spec, seed, level="cells"), predictor=predictor)
        cov_f += r.format_effect.ci[0] <= tgt["format"] <= r.format_effect.ci[1]
        cov_r += r.relatedness_effect.ci[0] <= tgt["relatedness"] <= r.relatedness_effect.ci[1]
        fmt_est.append(r.format_effect.estimate)
    return cov_f / N_SIMS, cov_r / N_SIMS, float(np.mean(fmt_est)), tgt["format"]


def test_planted_relatedness_recovered() -> None:
    cov_f, cov_r, _, _ = _run(MatrixSpec(relatedness_effect=0.3), "related")
    print(f"family: coverage format={cov_f:.3f} relatedness={cov_r:.3f}")
    assert cov_r >= 0.91 and cov_f >= 0.91


def test_pure_format_effect_not_attributed_to_relatedness() -> None:
    spec = MatrixSpec(format_effect=0.6, relatedness_effect=0.0)
    cov_f, cov_r, mean_fmt, tgt_fmt = _run(spec, "related")
    print(f"pure format: relatedness CI covers 0 in {cov_r:.3f}; format mean {mean_fmt:.3f} vs {tgt_fmt:.3f}")
    assert 0.91 <= cov_r <= 0.99
    assert mean_fmt == pytest.approx(tgt_fmt, abs=0.05)
    assert abs(tgt_fmt - 0.6) < 0.1  # marginal-scale estimand close to the planted format effect


def test_continuous_relatedness_slope() -> None:
    spec = MatrixSpec(continuous_relatedness=True, relatedness_effect=0.5)
    _, cov_r, _, _ = _run(replace(spec), "relatedness")
    print(f"continuous: coverage slope={cov_r:.3f}")
    assert cov_r >= 0.91


def test_item_level_frame_matches_schema() -> None:
    df = simulate_matrix(MatrixSpec(n_items=20), seed=1)
    assert list(df.columns) == ["model", "source", "target", "related", "relatedness", "regime", "item", "correct"]
    assert set(df["regime"]) == {"zero_shot", "finetune", "finetune_format"}
    assert df.loc[df["regime"] == "zero_shot", "source"].isna().all()
    r = disentangle(df)
    assert r.format_effect.n_clusters == 12 and isinstance(r.pair_table, pd.DataFrame)

"""Issue #13.5: several fine-tuned runs of a cell are averaged, never summed."""

import numpy as np
import pandas as pd
import pytest

from xlt.stats import SimSpec, cell_table, language_level_test, simulate


def _with_seeds(df: pd.DataFrame, n_seeds: int, flip: float = 0.2, seed: int = 0) -> pd.DataFrame:
    """The fine-tuned rows repeated per seed, each replicate with some answers re-drawn."""
    rng = np.random.default_rng(seed)
    ft = df[df["regime"] == "finetune"]
    reps = []
    for s in range(n_seeds):
        r = ft.assign(seed=s)
        if s:
            redraw = rng.random(len(r)) < flip
            r.loc[redraw, "correct"] = rng.integers(0, 2, int(redraw.sum()))
        reps.append(r)
    return pd.concat([df[df["regime"] != "finetune"].assign(seed=-1), *reps], ignore_index=True)


def test_two_seeds_average_not_sum():
    df = _with_seeds(simulate(SimSpec(n_models=3, n_items=50), seed=1), n_seeds=2)
    cells = cell_table(df)
    assert (cells["acc_ft"] <= 1).all() and (cells["n_runs"] == 2).all()
    ft = df[df["regime"] == "finetune"].groupby(["model", "lang", "seed"])["correct"].mean()
    expected = ft.groupby(["model", "lang"]).mean()
    got = cells.set_index(["model", "lang"])["acc_ft"]
    assert np.allclose(got.loc[expected.index], expected)


def test_one_seed_unchanged_and_identical_seeds_give_the_same_test():
    one = simulate(SimSpec(n_models=3, n_items=50, bonus=0.5), seed=2)
    two = _with_seeds(one, n_seeds=2, flip=0.0)  # an exact replicate
    r1, r2 = language_level_test(one), language_level_test(two)
    assert r1.estimate == pytest.approx(r2.estimate) and r1.p_value == pytest.approx(r2.p_value)


def test_partial_runs_are_refused():
    df = simulate(SimSpec(n_models=2, n_items=20), seed=3)
    ft = df[df["regime"] == "finetune"]
    broken = pd.concat([df, ft.iloc[:7]], ignore_index=True)  # 7 stray fine-tuned rows
    with pytest.raises(ValueError, match="whole runs"):
        cell_table(broken)

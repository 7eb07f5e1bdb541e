"""Every shipped model × lang × regime composes into a valid condition; ids are deterministic."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xlt.conditions import Condition, condition_id

CONF = Path(__file__).resolve().parents[1] / "conf"


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


NAMED_LANGS = [o for o in options("lang") if "_" not in o]  # source groups; per-variant files are
# generated from the registry and checked by tests/test_languages.py
# Group configs do not reference one another except through resolved interpolations, so the full
# model × regime product with two sources, plus every named source once, covers every combination.
SOURCES = ["ar", "heb_Hebr"]


def test_every_model_lang_regime_composes(compose):
    ids = set()
    for model in options("model"):
        for regime in options("regime"):
            for lang in SOURCES:
                # model=hf names its checkpoint on the command line and takes its name from it
                extra = ["model.hub_id=example-org/Some-Model"] if model == "hf" else []
                cond = Condition.from_cfg(compose([f"model={model}", f"regime={regime}", f"lang={lang}", *extra]))
                assert cond.model == ("hf-Some_Model" if model == "hf" else model) and cond.regime == regime
                ids.add(cond.id)
    for lang in NAMED_LANGS:
        cond = Condition.from_cfg(compose(["regime=finetune", f"lang={lang}"]))
        assert cond.source == lang and cond.source_variants
    trained = [r for r in options("regime") if r.startswith("finetune")]
    untrained = len(options("regime")) - len(trained)
    # trained regimes: one condition per source; untrained ones are shared by every source
    assert len(ids) == len(options("model")) * (len(trained) * len(SOURCES) + untrained)


def test_id_is_deterministic_and_tracks_what_changes_results(compose):
    base = condition_id(compose(["regime=finetune"]))
    assert base == condition_id(compose(["regime=finetune"]))
    assert base == condition_id(compose(["regime=finetune", "logger=none", "force=true", "sweep_name=x"]))
    assert base != condition_id(compose(["regime=finetune", "regime.lr=1e-3"]))
    assert base != condition_id(compose(["regime=finetune", "seed=1"]))
    assert base != condition_id(compose(["regime=finetune", "targets=[paper,tir_Ethi]"]))
    zs = condition_id(compose(["regime=zero_shot"]))
    assert zs == condition_id(compose(["regime=zero_shot", "seed=3", "lang=heb_Hebr", "regime.lr=1"]))


def test_targets_union_and_order(compose):
    cond = Condition.from_cfg(compose(["targets=[paper,kor_Hang,tir_Ethi]"]))
    assert cond.targets[:7] == ("arb_Arab", "heb_Hebr", "amh_Ethi", "mlt_Latn", "jpn_Jpan", "kor_Hang", "fra_Latn")
    assert cond.targets[7:] == ("tir_Ethi",)


@pytest.mark.parametrize("override, message", [
    ("data.prompt=yaml", "numbered"),
    ("data.split=random", "kfold"),
    ("data.source=local", "data.dir"),
    ("data.n_eval=0", "n_eval"),
    ("data.prefix_reuse=kv", "packed, cache"),
])
def test_bad_values_name_valid_choices(compose, override, message):
    """Enums are refused by Hydra while composing (the schema), the rest by validation: one line each."""
    from xlt.errors import ConfigError
    from xlt.overrides import composition_error

    with pytest.raises(Exception) as info:
        Condition.from_cfg(compose([override]))
    err = info.value if isinstance(info.value, ConfigError) else composition_error(info.value)
    assert re.search(message, str(err)) and "\n" not in str(err), str(err)


def test_trust_remote_code_needs_a_reason(compose):
    from xlt.errors import ConfigError

    with pytest.raises(ConfigError, match="trust_remote_code"):
        Condition.from_cfg(compose(["model.trust_remote_code=true"]))


def test_strategy_preset_follows_the_model(compose):
    from xlt.conditions import apply_strategy_preset
    from xlt.errors import ConfigError

    cfg = compose(["model=deepseek_v31", "strategy=preset"])
    apply_strategy_preset(cfg)
    assert cfg.strategy.name == "deepspeed" and cfg.strategy.stage == 3
    cfg = compose(["model=tiny", "strategy=preset"])
    apply_strategy_preset(cfg)
    assert cfg.strategy.name == "auto"
    with pytest.raises(ConfigError, match="deepspeed_zero2"):
        Condition.from_cfg(compose(["model=tiny", "strategy=preset", "model.strategy=zero9"]))


def test_cot_subset_enters_only_the_cot_identity_and_pairs_items(compose):
    from xlt.conditions import condition_id
    from xlt.data.items import Item
    from xlt.pipeline import cot_subset

    assert condition_id(compose(["regime=cot"])) != condition_id(compose(["regime=cot", "regime.cot_max_items=3"]))
    assert condition_id(compose(["regime=zero_shot"])) == condition_id(compose(["regime=zero_shot",
                                                                              "regime.cot_max_items=3"]))
    evals = {lang: [Item(lang, f"l{i}", 1, "p", "q", ("a", "b"), 1) for i in range(10)] for lang in ("x", "y")}
    sub = cot_subset(evals, 3, seed=0)
    assert [len(v) for v in sub.values()] == [3, 3]
    assert [it.key for it in sub["x"]] == [it.key for it in sub["y"]] != [it.key for it in evals["x"][:3]]
    assert cot_subset(evals, None, 0) is evals

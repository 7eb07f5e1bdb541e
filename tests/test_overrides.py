"""Unknown config-group choices are named with every valid option, before Hydra runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from xlt.errors import ConfigError
from xlt.overrides import check_group_choices

CONF = Path(__file__).resolve().parents[1] / "conf"


@pytest.mark.parametrize("arg, bad", [
    ("model=nope", "nope"),
    ("model=tiny,nope", "nope"),
    ("targets=[paper,xxx_Latn]", "xxx_Latn"),
    ("lang=ar,zz", "zz"),
    ("regime=zero_shot,finetune_wrong", "finetune_wrong"),
])
def test_unknown_choice_names_value_and_options(arg, bad):
    with pytest.raises(ConfigError) as err:
        check_group_choices([arg], CONF)
    msg = str(err.value)
    assert repr(bad) in msg and "valid choices" in msg
    group = arg.split("=")[0]
    assert any(p.stem in msg for p in (CONF / group).glob("*.yaml"))


@pytest.mark.parametrize("arg", ["model=tiny,tiny_qwen3", "targets=[paper,kor_Hang]", "lang=ar,heb_Hebr",
                                 "regime.lr=1e-3", "seed=0,1,2", "experiment=demo", "hydra/launcher=slurm"])
def test_valid_choices_pass(arg):
    check_group_choices([arg], CONF)

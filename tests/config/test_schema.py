"""The typed schema: Hydra checks keys, types and enums while composing; every key is classified for
the identity; the condition id and the report's pairing key follow the classification."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from xlt.conditions import condition_id, identity_payload, validate
from xlt.config.identity import classify, evaluation_key, schema_fields
from xlt.config.schema import Affects, XltConf
from xlt.errors import ConfigError

CONF = Path(__file__).resolve().parents[2] / "conf"
GROUPS = ("task", "model", "regime", "data", "trainer", "strategy", "logger", "cluster", "experiment")


def _leaves(node, prefix=""):
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield path
            yield from _leaves(value, path + ".")
        else:
            yield path


def test_every_schema_field_declares_how_it_affects_results():
    fields = list(schema_fields())
    assert len(fields) > 100
    for path, f in fields:
        assert isinstance(f.metadata.get("affects"), Affects), f"{path} has no identity class"


@pytest.mark.parametrize("group", GROUPS)
def test_every_key_of_every_option_is_classified(compose, group):
    """A key a config file adds without declaring it in the schema fails here (and at composition)."""
    extra = {"hf": ["model.hub_id=org/m"]}
    for option in sorted(p.stem for p in (CONF / group).glob("*.yaml")):
        cfg = compose([f"{group}={option}", *extra.get(option, [])])
        plain = OmegaConf.to_container(cfg, resolve=False)
        for path in _leaves(plain):
            classify(path)  # raises KeyError naming an unclassified key
    cfg = compose(["train_task=sib200"])
    for path in _leaves(OmegaConf.to_container(cfg, resolve=False)):
        classify(path)


def test_classify_names_an_undeclared_key():
    assert classify("regime.lr") is Affects.TRAINING
    assert classify("data.eval_batch_size") is Affects.NONE
    assert classify("model.local_path") is Affects.WEIGHTS
    assert classify("regime.cot_max_new_tokens") is Affects.COT
    assert classify("model.arch.hidden_size") is Affects.RESULTS  # inside an open node: the node's class
    assert classify("regime.lora.r") is Affects.TRAINING  # a training node binds its fields
    assert classify("trainer.precision") is Affects.TRAINING and classify("trainer.accelerator") is Affects.NONE
    assert classify("model.resources.nodes") is Affects.NONE
    with pytest.raises(KeyError, match="regime.nope"):
        classify("regime.nope")


@pytest.mark.parametrize("override, message", [
    ("model.nope=1", "model.nope is not a config key; valid keys of model: arch, chat,"),  # undeclared
    ("data.n_eval=many", "data.n_eval: Value 'many' of type 'str' could not be converted to Integer"),
    ("data.prompt=roman", r"data.prompt: Invalid value 'roman', expected one of \[numbered, lettered\]"),
    ("task.train_from=somewhere", "task.train_from: .* expected one of .heldin, own."),
])
def test_composition_refuses_what_the_schema_does_not_allow(compose, override, message):
    """Hydra refuses while composing; a single run prints it as one line (xlt.overrides)."""
    from xlt.overrides import composition_error

    with pytest.raises(Exception) as info:
        compose([override])
    line = str(composition_error(info.value))
    assert "\n" not in line
    assert __import__("re").search(message, line), line


@pytest.mark.parametrize("override, message", [
    ("regime.lr=0", "regime.lr must be > 0"),
    ("data.n_eval=0", "data.n_eval must be >= 1"),
    ("regime.cot_max_items=0", "regime.cot_max_items must be >= 1"),
    ("regime.lora.dropout=1.5", "regime.lora.dropout must be <= 1"),
    ("+model.nope=1", "config key model.nope is not declared"),  # `+` passes Hydra: refused here
    ("data.prefix_reuse=sometimes", "data.prefix_reuse='sometimes' is not valid; valid: true, false, auto"),
])
def test_ranges_and_choices_are_checked_with_one_line(compose, override, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        validate(compose(["regime=finetune", override]))


def test_the_id_follows_the_classes(compose):
    ft = condition_id(compose(["regime=finetune"]))
    for override in ("data.eval_batch_size=3", "trainer.enable_progress_bar=false", "strategy=ddp",
                     "regime.ckpt_every_n_steps=7", "regime.adapt_memory=false", "model.resources.mem_gb=9",
                     "cluster=slurm_local", "allow_code_change=true", "plan.max_nodes=2"):
        assert condition_id(compose(["regime=finetune", override])) == ft, override
    for override in ("data.n_eval=5", "regime.lr=1e-3", "trainer.precision=bf16-mixed",
                     "trainer.gradient_clip_val=0.5", "trainer.devices=2", "model.dtype=bfloat16", "data.leak=drop"):
        assert condition_id(compose(["regime=finetune", override])) != ft, override
    zs = condition_id(compose(["regime=zero_shot"]))
    for override in ("regime.lr=1e-3", "trainer.precision=bf16-mixed", "data.n_train=5", "seed=4",
                     "regime.cot_max_new_tokens=9", "task.answer_names=true"):
        assert condition_id(compose(["regime=zero_shot", override])) == zs, override
    cot = condition_id(compose(["regime=cot"]))
    assert condition_id(compose(["regime=cot", "regime.cot_max_new_tokens=9"])) != cot


def test_identity_holds_no_key_that_does_not_change_results(compose):
    payload = identity_payload(compose(["regime=finetune"]))
    assert set(payload) == {"task", "train_task", "model", "lang", "regime", "targets", "data", "trainer", "seed"}
    assert set(payload["trainer"]) == {"precision", "gradient_clip_val", "devices", "num_nodes"}
    assert "eval_batch_size" not in payload["data"] and "resources" not in payload["model"]
    assert "local_path" not in payload["model"] and payload["model"]["checkpoint"]
    assert payload["data"]["prompt"] == "numbered" and type(payload["data"]["prompt"]) is str  # enums as text


def test_evaluation_key_pairs_a_finetune_with_its_baseline(compose):
    def key(*ov):
        return evaluation_key(identity_payload(compose(list(ov))))

    base = key("regime=zero_shot")
    assert key("regime=finetune") == base
    assert key("regime=finetune", "data.n_train=4", "data.leak=drop", "regime.lr=1e-3") == base
    assert key("regime=zero_shot", "data.n_eval=5") != base
    assert key("regime=zero_shot", "data.prompt=lettered") != base
    assert key("task=sib200", "regime=zero_shot") != base
    assert evaluation_key({"data": {"n_eval": 3, "from_an_old_store": 1}}) == {"data": {"n_eval": 3, "from_an_old_store": 1}}


def test_schema_defaults_match_the_shipped_defaults(compose):
    """The schema's own defaults are those of the default group options (no second set of defaults)."""
    cfg = compose([])
    schema = OmegaConf.structured(XltConf)
    for node in ("data", "trainer", "logger", "cluster"):
        shipped = OmegaConf.to_container(cfg[node], resolve=True)
        declared = OmegaConf.to_container(schema[node], resolve=True)
        differ = {k: (declared[k], v) for k, v in shipped.items() if k in declared and declared[k] != v}
        assert not differ or node in ("logger",), f"{node}: schema default vs shipped {differ}"
    assert dataclasses.fields(XltConf)

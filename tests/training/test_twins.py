"""Every tiny twin fine-tunes with its preset's LoRA targets, and LoRA lands on the intended modules."""

from __future__ import annotations

import re

import pytest
import torch

# (preset, attention projections that must carry LoRA, whether MoE experts must too)
TWINS = [
    ("tiny_llama", {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}, False),
    ("tiny_qwen3", {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}, False),
    ("tiny_gpt_oss", {"q_proj", "k_proj", "v_proj", "o_proj"}, True),
    ("tiny_deepseek_v3", {"q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj"}, True),
]


@pytest.mark.parametrize("preset, attention, experts", TWINS, ids=[t[0] for t in TWINS])
def test_twin_finetunes_with_its_preset_targets(learn_cfg, tmp_path, preset, attention, experts):
    from safetensors.torch import load_file

    from xlt.data.prompts import get_format
    from xlt.models.loading import load_tokenizer
    from xlt.scoring.labels import resolve_labels
    from xlt.training.adapter import ADAPTER_FILE, lora_module_names
    from xlt.training.fit import TrainSettings, finetune
    from xlt.training.learnable import learnable_items

    cfg = learn_cfg(f"model={preset}", "regime.lora.dropout=0.05", "regime.batch_size=4")
    tok, fmt = load_tokenizer(cfg.model), get_format("numbered")
    labels = resolve_labels(tok, fmt.labels)
    trained = finetune(TrainSettings.from_cfg(cfg), None, tok, learnable_items(8), fmt, labels, tmp_path, max_steps=2)
    names = lora_module_names(trained)
    leaves = {n.rsplit(".", 1)[-1] for n in names}
    n_layers = int(cfg.model.arch.num_hidden_layers)
    for target in attention:
        hits = [n for n in names if n.endswith(f".{target}")]
        # every layer's projection (DeepSeek's dense MLP names are not targeted: see its preset)
        assert len(hits) == n_layers, (target, hits)
    expert_mods = [n for n in names if re.search(r"mlp\.experts$", n)]
    if experts:
        first_moe = int(cfg.model.arch.get("first_k_dense_replace", 0) or 0)
        assert len(expert_mods) == n_layers - first_moe, names
    else:
        assert not expert_mods
    assert not {"router", "gate", "lm_head", "embed_tokens"} & leaves, leaves
    state = load_file(str(tmp_path / "adapter" / ADAPTER_FILE))
    assert state and all(t.numel() > 0 for t in state.values())
    # two steps at lr 5e-3 moved lora_B away from its zero init, experts included
    moved = {k for k, t in state.items() if "lora_B" in k and t.abs().max() > 0}
    assert moved == {k for k in state if "lora_B" in k}
    if experts:
        assert any("experts" in k for k in moved)
    assert all(torch.isfinite(t).all() for t in state.values())

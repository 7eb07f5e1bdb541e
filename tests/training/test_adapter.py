"""The saved adapter is the trained model: reloaded into a fresh base it gives the same logits."""

from __future__ import annotations

import torch


def test_adapter_reload_gives_the_same_logits(learn_cfg, tmp_path):
    from peft import PeftModel

    from xlt.data.prompts import get_format
    from xlt.models.loading import load_model, load_tokenizer
    from xlt.scoring.labels import resolve_labels
    from xlt.training.examples import build_examples, collate
    from xlt.training.fit import TrainSettings, finetune
    from xlt.training.learnable import learnable_items

    cfg = learn_cfg("model=tiny", "regime.lora.dropout=0.1")
    tok, fmt = load_tokenizer(cfg.model), get_format("numbered")
    labels = resolve_labels(tok, fmt.labels)
    items = learnable_items(16)
    trained = finetune(TrainSettings.from_cfg(cfg), None, tok, items, fmt, labels, tmp_path, max_steps=3)
    batch = collate(build_examples(tok, items, fmt, labels), tok.pad_token_id)
    reloaded = PeftModel.from_pretrained(load_model(cfg.model), tmp_path / "adapter").eval()
    merged = PeftModel.from_pretrained(load_model(cfg.model), tmp_path / "adapter").merge_and_unload().eval()
    fresh = load_model(cfg.model)
    with torch.no_grad():
        ids, mask = batch["input_ids"], batch["attention_mask"]
        a = trained(input_ids=ids, attention_mask=mask).logits
        b = reloaded(input_ids=ids, attention_mask=mask).logits
        m = merged(input_ids=ids, attention_mask=mask).logits
        base = fresh(input_ids=ids, attention_mask=mask).logits
    assert torch.allclose(a, b, atol=1e-5), (a - b).abs().max()
    # evaluation scores the merged model (xlt.pipeline.train_or_reuse): the same logits
    assert not any("lora" in n for n, _ in merged.named_parameters())
    assert torch.allclose(b, m, atol=1e-4), (b - m).abs().max()
    assert (a - base).abs().max() > 1e-3  # the adapter changed something


def test_empty_adapter_is_refused(tmp_path):
    import pytest

    from xlt.training.adapter import save_adapter

    with pytest.raises(RuntimeError, match="empty"):
        save_adapter(object(), tmp_path, {"a.lora_A.default.weight": torch.empty(0)})

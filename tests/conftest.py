"""Shared fixtures: the project's one compose entry (xlt.config.compose), tiny models, real data paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"
SHARED_DATA = ROOT.parent / "shared" / "data"

# Tests never touch the network and share one tiny-model cache per session.
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("XLT_CACHE_DIR", str(ROOT / ".cache" / "xlt"))


@pytest.fixture
def compose():
    """compose(overrides, hydra_config=False) -> DictConfig of the root config, like `python -m xlt.train`
    would see (:func:`xlt.config.compose.compose`; Hydra's global state is restored after each call)."""
    from xlt.config.compose import compose as compose_config

    def _compose(overrides: list[str] | None = None, hydra_config: bool = False):
        return compose_config(overrides or [], return_hydra_config=hydra_config)

    return _compose


@pytest.fixture(scope="session")
def belebele_dir() -> Path:
    """The real Belebele JSONL files beside the project (skip cleanly when absent)."""
    path = SHARED_DATA / "belebele"
    if not (path / "arb_Arab.jsonl").exists():
        pytest.skip(f"real Belebele data not found at {path} (see ../shared/data/README.md)")
    return path


@pytest.fixture(scope="session")
def tiny_model():
    """(model, tokenizer, cfg) of the default tiny twin, built once per session."""
    from omegaconf import OmegaConf

    from xlt.models.loading import load_model, load_tokenizer

    cfg = OmegaConf.load(CONF / "model" / "tiny.yaml")
    return load_model(cfg), load_tokenizer(cfg), cfg

"""The transformers engine: xlt's batched scorer and ``generate`` on a loaded (merged) model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from xlt.data.items import Item
from xlt.data.prompts import PromptFormat
from xlt.results.records import Prediction
from xlt.scoring.labels import LabelTokens


@dataclass
class HFEngine:
    """A transformers model + tokenizer behind the ``Engine`` interface."""

    model: Any
    tok: Any
    batch_size: int = 8
    prefix_reuse: bool | str = True

    def score(self, items: Sequence[Item], fmt: PromptFormat, labels: LabelTokens, *, chat_template,
              prompts: Sequence[str] | None = None,
              progress: Callable[[int], None] | None = None) -> list[Prediction]:
        """``xlt.scoring.scorer.score_items`` with this engine's batch size and prefix reuse."""
        from xlt.scoring.scorer import score_items

        return score_items(self.model, self.tok, items, fmt, chat_template=chat_template, labels=labels,
                           batch_size=self.batch_size, prompts=prompts, progress=progress,
                           prefix_reuse=self.prefix_reuse)

    def generate(self, prompts: list[str], chat_template, max_new_tokens: int) -> list[str]:
        """``xlt.scoring.cot.generate_reasoning`` (left-padded greedy batches)."""
        from xlt.scoring.cot import generate_reasoning

        return generate_reasoning(self.model, self.tok, prompts, chat_template, max_new_tokens, self.batch_size)

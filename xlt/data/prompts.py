"""Prompt formats. Each renders an item to text ending right before the answer label, plus the K
label strings whose log-probabilities are compared (K = 4 for Belebele, 7 for SIB-200)."""

from __future__ import annotations

from dataclasses import dataclass

from xlt.data.items import Item

ANSWER = "Answer:"  # every prompt ends with it; the label follows


@dataclass(frozen=True)
class PromptFormat:
    """A prompt template and the K answer labels it is scored on."""

    name: str
    labels: tuple[str, ...]

    def render(self, item: Item, passage: str | None = None) -> str:
        """Prompt text up to (not including) the label; ``passage`` overrides the item's passage."""
        text = item.passage if passage is None else passage
        if self.name == "lettered":
            # lm-evaluation-harness's Belebele prompt, character for character (it strips the
            # question: 20 of 900 Belebele questions carry stray whitespace).
            opts = "\n".join(f"{lab}: {opt}" for lab, opt in zip(self.labels, item.options))
            return f"P: {text}\nQ: {item.question.strip()}\n{opts}\n{ANSWER}"
        opts = "\n".join(f"{lab}. {opt}" for lab, opt in zip(self.labels, item.options))
        return f"{text}\n\nQuestion: {item.question}\n{opts}\n{ANSWER}"


ALPHABETS = {"numbered": "123456789", "lettered": "ABCDEFGHI"}  # the paper: labels "1".."4"
FORMATS = {name: PromptFormat(name, tuple(chars[:4])) for name, chars in ALPHABETS.items()}


def get_format(name: str, n_labels: int = 4) -> PromptFormat:
    """The prompt format ``name`` with ``n_labels`` labels ("1".."K" or "A"..)."""
    from xlt.errors import ConfigError, unknown_choice

    if name not in ALPHABETS:
        raise unknown_choice("prompt format", name, list(ALPHABETS))
    if not 2 <= n_labels <= len(ALPHABETS[name]):
        raise ConfigError(f"prompt format {name!r} takes 2..{len(ALPHABETS[name])} labels, got {n_labels}")
    return PromptFormat(name, tuple(ALPHABETS[name][:n_labels]))

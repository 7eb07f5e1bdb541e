"""Prompt formats. Each renders a question to text ending right before the answer label, plus the
four label strings whose log-probabilities are compared."""

from __future__ import annotations

from dataclasses import dataclass

from xlt.data.items import Item


@dataclass(frozen=True)
class PromptFormat:
    """A prompt template and the four answer labels it is scored on."""

    name: str
    labels: tuple[str, str, str, str]

    def render(self, item: Item, passage: str | None = None) -> str:
        """Prompt text up to (not including) the label; ``passage`` overrides the item's passage."""
        text = item.passage if passage is None else passage
        if self.name == "lettered":
            # lm-evaluation-harness's Belebele prompt, character for character (it strips the
            # question: 20 of 900 Belebele questions carry stray whitespace).
            opts = "\n".join(f"{lab}: {opt}" for lab, opt in zip(self.labels, item.options))
            return f"P: {text}\nQ: {item.question.strip()}\n{opts}\nAnswer:"
        opts = "\n".join(f"{lab}. {opt}" for lab, opt in zip(self.labels, item.options))
        return f"{text}\n\nQuestion: {item.question}\n{opts}\nAnswer:"


FORMATS = {
    "numbered": PromptFormat("numbered", ("1", "2", "3", "4")),  # the paper: labels "1".."4"
    "lettered": PromptFormat("lettered", ("A", "B", "C", "D")),
}


def get_format(name: str) -> PromptFormat:
    """Look up a prompt format by name."""
    from xlt.errors import unknown_choice

    if name not in FORMATS:
        raise unknown_choice("prompt format", name, list(FORMATS))
    return FORMATS[name]

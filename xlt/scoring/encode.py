"""Turn items into token ids the way every scorer (batched, naive, CoT) must agree on."""

from __future__ import annotations

from xlt.data.items import Item
from xlt.data.prompts import PromptFormat


def prompt_text(tok, item: Item, fmt: PromptFormat, chat_template: bool, passage: str | None = None) -> str:
    """The text that precedes the label; wrapped in the tokenizer's chat template when asked."""
    body = fmt.render(item, passage)
    if not chat_template:
        return body
    question, _, _ = body.rpartition("Answer:")
    wrapped = tok.apply_chat_template([{"role": "user", "content": question.rstrip()}],
                                      tokenize=False, add_generation_prompt=True)
    return wrapped + "Answer:"


def encode_prompt(tok, text: str, chat_template: bool) -> list[int]:
    """Token ids of a prompt; special tokens come from the tokenizer unless a chat template added them."""
    return list(tok(text, add_special_tokens=not chat_template)["input_ids"])

"""Turn items into prompt text and token ids the way training and every scorer (batched, naive, CoT) must
agree on (with the prompt formats, so training never imports the scorers for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlt.data.items import Item
from xlt.data.prompts import ANSWER, PromptFormat

if TYPE_CHECKING:
    from xlt.chat.formats import ChatFormat


def prompt_text(tok, item: Item, fmt: PromptFormat, chat_template: "bool | ChatFormat | None",
                passage: str | None = None) -> str:
    """The text that precedes the label. With a chat template the question is one user message, the
    assistant turn is opened as its family expects (xlt.chat: Qwen3's empty think block, Harmony's final
    channel, ...), then ``Answer:``; ``True`` takes the family from the tokenizer's template."""
    from xlt.chat.formats import open_answer, resolve_chat

    body = fmt.render(item, passage)
    chat = resolve_chat(tok, chat_template)
    if chat is None:
        return body
    question, _, _ = body.rpartition(ANSWER)
    return open_answer(tok, question.rstrip(), chat) + ANSWER


def encode_prompt(tok, text: str, chat_template: "bool | ChatFormat | None") -> list[int]:
    """Token ids of a prompt; special tokens come from the tokenizer unless a chat template added them."""
    return list(tok(text, add_special_tokens=not chat_template)["input_ids"])

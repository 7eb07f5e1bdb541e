"""Chat and reasoning formats per model family (Qwen3, gpt-oss Harmony, DeepSeek-V3.1, Llama 3.x, generic)."""

from xlt.chat.formats import (
    FAMILIES,
    ChatFormat,
    FamilySpec,
    Generation,
    chat_format,
    close_reasoning,
    detect_family,
    open_answer,
    open_reasoning,
    reference_template,
    resolve_chat,
    split_generation,
)

__all__ = ["FAMILIES", "ChatFormat", "FamilySpec", "Generation", "chat_format", "close_reasoning",
           "detect_family", "open_answer", "open_reasoning", "reference_template", "resolve_chat",
           "split_generation"]

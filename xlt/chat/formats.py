"""Chat and reasoning formats per model family: how the assistant turn is opened for label scoring, how a
chain of thought is opened and closed, and where the final answer sits in a generation.

Sources (checked when this was written; each reference template in ``templates/`` cites its own too):

- Qwen3: the official chat template (Qwen/Qwen3-8B tokenizer_config.json): ChatML turns, generation prompt
  ``<|im_start|>assistant\\n``; ``enable_thinking=False`` adds an empty ``<think>\\n\\n</think>\\n\\n``
  (non-thinking mode); in thinking mode the model writes ``<think>\\n…\\n</think>\\n\\n`` then its answer.
- gpt-oss: the Harmony guide (github.com/openai/harmony docs/format.md): the system message carries
  ``Reasoning: low|medium|high``; the model writes ``<|channel|>analysis<|message|>…<|end|>`` then
  ``<|start|>assistant<|channel|>final<|message|>…<|return|>``; the HF template ends the prompt at a bare
  ``<|start|>assistant`` and writes ``Current date: strftime_now(...)`` (pinned here, see ``date``).
- DeepSeek-V3.1: the model card's "Chat Template" section: ``…<｜Assistant｜></think>`` (non-thinking) or
  ``…<｜Assistant｜><think>`` (thinking, template kwarg ``thinking=True``); a thinking answer is
  ``{reasoning}</think>{response}<｜end▁of▁sentence｜>``.
- Llama 3.x: Meta's Llama 3.1 prompt format: ``<|start_header_id|>assistant<|end_header_id|>\\n\\n`` opens
  the answer; no reasoning mode (CoT stays in the visible answer, after a cue).
- generic: any other template (ChatML such as SmolLM2, custom ones): the tokenizer's generation prompt, as
  before this module existed.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlt.errors import ConfigError, unknown_choice

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
REASONING_EFFORTS = ("low", "medium", "high")
HARMONY_DATE = "2025-06-28"  # the Harmony guide's example date; pins the template's strftime_now


@dataclass(frozen=True)
class FamilySpec:
    """The fixed strings of one family's format (see the module docstring for their sources)."""

    name: str
    header: str  # the bare assistant header the generation prompt ends with ("" for generic)
    answer_open: str  # after ``header``: opens a visible answer with reasoning off/skipped
    reasoning_open: str | None  # after ``header``: opens native reasoning; None: the family has none
    reasoning_close: str  # after the reasoning: ends it and opens the visible answer
    thinking_kwarg: str | None  # the template switch for thinking mode
    ends: tuple[str, ...] = ()  # markers that end the answer (stop tokens, end of turn)
    strip_reasoning: bool = False  # Qwen3 writes '<think>\n' + reasoning.strip('\n') + '\n</think>'


FAMILIES: dict[str, FamilySpec] = {
    "generic": FamilySpec("generic", "", "", None, "", None),
    "qwen3": FamilySpec("qwen3", "<|im_start|>assistant\n", "<think>\n\n</think>\n\n", "<think>\n",
                        "\n</think>\n\n", "enable_thinking", ("<|im_end|>", "<|endoftext|>"), True),
    "harmony": FamilySpec("harmony", "<|start|>assistant", "<|channel|>final<|message|>",
                          "<|channel|>analysis<|message|>",
                          "<|end|><|start|>assistant<|channel|>final<|message|>", None,
                          ("<|return|>", "<|end|>", "<|call|>")),
    "deepseek_v3": FamilySpec("deepseek_v3", "<｜Assistant｜>", "</think>", "<think>", "</think>", "thinking",
                              ("<｜end▁of▁sentence｜>",)),
    "llama3": FamilySpec("llama3", "<|start_header_id|>assistant<|end_header_id|>\n\n", "", None, "", None,
                         ("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>")),
}
ALIASES = {"gpt_oss": "harmony", "deepseek_v31": "deepseek_v3", "llama": "llama3", "chatml": "generic"}
# config.json model_type -> family, used only when the tokenizer has no template to look at.
MODEL_TYPES = {"qwen3": "qwen3", "qwen3_moe": "qwen3", "gpt_oss": "harmony", "deepseek_v3": "deepseek_v3",
               "llama": "llama3"}


def family_name(name: str) -> str:
    """The canonical family name (aliases such as ``gpt_oss`` accepted); ConfigError when unknown."""
    name = ALIASES.get(name, name)
    if name not in FAMILIES:
        raise unknown_choice("chat family", name, list(FAMILIES) + list(ALIASES))
    return name


@dataclass(frozen=True)
class ChatFormat:
    """How xlt wraps prompts for one chat model.

    ``thinking``: CoT regimes reason in the family's native block (Qwen3/DeepSeek ``<think>``, Harmony
    ``analysis``); false, or a family without one, keeps the cue-based CoT in the visible answer. Label
    scoring without CoT always opens a visible answer (reasoning off or skipped).
    ``reasoning_effort``: Harmony's ``Reasoning:`` level (None: the template's default, medium).
    ``date``: replaces ``strftime_now`` in the template so a prompt does not change with the day it runs.
    """

    family: str = "generic"
    thinking: bool = True
    reasoning_effort: str | None = None
    date: str | None = None
    spec: FamilySpec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "family", family_name(self.family))
        if self.reasoning_effort is not None and self.reasoning_effort not in REASONING_EFFORTS:
            raise unknown_choice("reasoning_effort", self.reasoning_effort, list(REASONING_EFFORTS))
        if self.date is not None:
            _dt.date.fromisoformat(self.date)  # fail at config time, not mid-sweep
        object.__setattr__(self, "spec", FAMILIES[self.family])

    @property
    def native_reasoning(self) -> bool:
        """Whether CoT is generated inside the family's reasoning block."""
        return self.thinking and self.spec.reasoning_open is not None


@dataclass(frozen=True)
class Generation:
    """A CoT generation split by the family's format."""

    reasoning: str  # what goes back into the label-scoring prompt (before the reasoning is closed)
    final: str | None  # the visible answer text; None when there is none (reasoning never closed)
    truncated: bool  # the reasoning block was still open when generation stopped


def reference_template(family: str) -> str:
    """The packaged reference template of a family (written from its documented format)."""
    name = family_name(family)
    if name == "generic":
        raise ConfigError("the generic chat family has no reference template")
    return (TEMPLATES_DIR / f"{name}.jinja").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=32)
def family_of_template(template: str) -> str:
    """The family a chat template writes, from its distinctive markers (``generic`` when none match)."""
    if "<|channel|>" in template and "<|start|>" in template:
        return "harmony"
    if "<｜Assistant｜>" in template:
        # V3.1 opens '</think>' / '<think>'; V3 and R1 templates do not switch, so they stay generic
        return "deepseek_v3" if "</think>" in template and "thinking" in template else "generic"
    if "<|start_header_id|>" in template:
        return "llama3"
    if "<|im_start|>" in template and "enable_thinking" in template:
        return "qwen3"
    return "generic"


def detect_family(tok: Any = None, model_type: str | None = None) -> str:
    """A model's chat family: from its tokenizer's chat template, else from its config ``model_type``."""
    template = getattr(tok, "chat_template", None) if tok is not None else None
    if isinstance(template, dict):  # several named templates: the default one is what apply uses
        template = template.get("default")
    if isinstance(template, str) and template:
        return family_of_template(template)
    return MODEL_TYPES.get(model_type or "", "generic")


def resolve_chat(tok: Any, chat: "bool | ChatFormat | None") -> ChatFormat | None:
    """The format to use: None (no template), a given ChatFormat, or for ``True`` the tokenizer's family."""
    if isinstance(chat, ChatFormat):
        return chat
    if not chat:
        return None
    family = detect_family(tok)
    return ChatFormat(family, date=HARMONY_DATE if family == "harmony" else None)


def _pinned(template: str, date: str) -> str:
    """``template`` with each ``strftime_now('<fmt>')`` call replaced by ``date`` written in that format."""
    day = _dt.datetime.fromisoformat(date)
    return re.sub(r"strftime_now\(\s*(['\"])(.*?)\1\s*\)", lambda m: repr(day.strftime(m.group(2))), template)


def _render(tok: Any, question: str, chat: ChatFormat, thinking: bool) -> str:
    """The tokenizer's own template with the family's switches (generation prompt added)."""
    kwargs: dict[str, Any] = {}
    if chat.spec.thinking_kwarg:
        kwargs[chat.spec.thinking_kwarg] = thinking
    if chat.reasoning_effort is not None:
        kwargs["reasoning_effort"] = chat.reasoning_effort
    template = tok.chat_template if isinstance(tok.chat_template, str) else None
    if chat.date and template and "strftime_now" in template:
        kwargs["chat_template"] = _pinned(template, chat.date)
    return tok.apply_chat_template([{"role": "user", "content": question}], tokenize=False,
                                   add_generation_prompt=True, **kwargs)


def _open(tok: Any, question: str, chat: ChatFormat, thinking: bool, opening: str) -> str:
    rendered = _render(tok, question, chat, thinking)
    header = chat.spec.header
    at = rendered.rfind(header) if header else len(rendered)
    if at < 0:
        raise ConfigError(f"the chat template does not open the assistant turn with {header!r} as the "
                          f"{chat.family} format expects; set the preset's chat.family (or 'generic')")
    # Cut after the bare header and add the opening ourselves: the same text whether or not the template
    # honours the switch (a template that already wrote it gives the identical string).
    return rendered[: at + len(header)] + opening


def open_answer(tok: Any, question: str, chat: ChatFormat) -> str:
    """The prompt up to a visible answer: the text label scoring puts ``Answer:`` after."""
    if chat.family == "generic":
        return tok.apply_chat_template([{"role": "user", "content": question}], tokenize=False,
                                       add_generation_prompt=True)
    return _open(tok, question, chat, False, chat.spec.answer_open)


def open_reasoning(tok: Any, question: str, chat: ChatFormat) -> str:
    """The prompt a native CoT is generated from (the reasoning block opened, thinking on)."""
    if not chat.native_reasoning:
        raise ValueError(f"{chat.family} (thinking={chat.thinking}) has no native reasoning block")
    return _open(tok, question, chat, True, chat.spec.reasoning_open or "")


def _cut(text: str, markers: tuple[str, ...]) -> str:
    """``text`` up to the first of ``markers``."""
    ends = [i for i in (text.find(m) for m in markers if m) if i >= 0]
    return text[: min(ends)] if ends else text


def split_generation(chat: ChatFormat | None, text: str, stops: tuple[str, ...] = ()) -> Generation:
    """Split a generation (decoded with special tokens kept for non-generic families) into the reasoning to
    put back into the prompt and the final answer text. ``stops``: the tokenizer's eos/pad strings."""
    spec = FAMILIES["generic"] if chat is None else chat.spec
    ends = spec.ends + tuple(s for s in stops if s)
    if chat is not None and chat.native_reasoning:
        if spec.name == "harmony":
            analysis, sep, rest = text.partition("<|end|>")
            if not sep:
                return Generation(_cut(analysis, ends), None, True)
            head, found, answer = rest.partition("<|channel|>final<|message|>")
            # analysis closed but no final message (another analysis, or cut before it): no answer
            return Generation(analysis, _cut(answer, ends).strip() if found else None, False)
        opened = spec.reasoning_open or ""
        body = text[len(opened.rstrip()):] if text.startswith(opened.rstrip()) else text  # model re-opened
        reasoning, sep, answer = body.partition("</think>")
        if not sep:
            return Generation(_cut(reasoning, ends), None, True)
        if spec.strip_reasoning:
            reasoning = reasoning.rstrip("\n")
        return Generation(reasoning, _cut(answer, ends).strip(), False)
    # Cue-based CoT: the whole visible text is both the reasoning and the answer region; a model that still
    # wrote a <think> block is read after it, and one whose block never closed stated nothing.
    visible = _cut(text, ends) if spec.ends or stops else text
    if "</think>" in visible:
        return Generation(visible, visible.rsplit("</think>", 1)[1], False)
    if "<think>" in visible:
        return Generation(visible, None, True)
    return Generation(visible, visible, False)


def close_reasoning(chat: ChatFormat, reasoning: str) -> str:
    """The text after a native reasoning prompt that holds ``reasoning``, closed, with a visible answer
    opened (label scoring appends ``Answer:``); a cut-off reasoning is closed the same way."""
    return reasoning + chat.spec.reasoning_close


def chat_format(model_cfg: Any, tok: Any) -> ChatFormat | None:
    """A preset's ChatFormat, or None when its prompts are not chat-wrapped.

    ``model.chat`` (optional): ``family`` (else detected from the tokenizer / ``arch.model_type``),
    ``thinking``, ``reasoning_effort``, ``date``, and ``reference_template: true`` to attach the family's
    packaged reference template to a tokenizer that has none (tiny twins; never over a real one).
    """
    from xlt.models.loading import uses_chat_template

    from xlt.config.schema import ChatConf, ModelConf, typed

    model_cfg = typed(ModelConf, model_cfg)
    block = model_cfg.chat if model_cfg.chat is not None else ChatConf()
    model_type = (model_cfg.arch or {}).get("model_type")
    family = family_name(block.family) if block.family else None
    if block.reference_template and not getattr(tok, "chat_template", None):
        tok.chat_template = reference_template(family or detect_family(None, model_type))
    if not uses_chat_template(model_cfg, tok):
        return None
    family = family or detect_family(tok, model_type)
    date = block.date or (HARMONY_DATE if family == "harmony" else None)
    return ChatFormat(family, thinking=block.thinking, reasoning_effort=block.reasoning_effort,
                      date=str(date) if date else None)

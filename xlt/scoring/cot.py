"""Chain-of-thought: greedy reasoning (bounded length), then label scoring after the reasoning,
plus the answer the model states in its text (per-language patterns; the parse-failure rate is
reported by ``xlt.scoring.metrics.summarize`` as ``cot_parse_rate``). Chat families open and close
their own reasoning blocks (``xlt.chat``)."""

from __future__ import annotations

import functools
import re
from typing import Callable, Sequence

from xlt.chat.formats import ChatFormat, close_reasoning, open_reasoning, resolve_chat, split_generation
from xlt.data.encode import encode_prompt, prompt_text
from xlt.data.items import Item
from xlt.data.prompts import ANSWER, PromptFormat
from xlt.results.records import Prediction
from xlt.scoring.batching import batches, left_pad
from xlt.scoring.labels import LabelTokens
from xlt.scoring.scorer import score_items

COT_CUE = "Let's think step by step."

# Answer cues per language (ISO 639-1): the phrase a model writes right before the label it picks.
# English is always tried too (models often reason in English whatever the prompt language).
ANSWER_CUES: dict[str, str] = {
    "en": r"(?:final\s+|correct\s+|right\s+)?answer(?:\s+(?:is|would\s+be|should\s+be|must\s+be))?"
          r"|correct\s+(?:option|choice)(?:\s+is)?|I\s+(?:choose|pick|select)",
    "fr": r"(?:la\s+)?(?:bonne\s+)?réponse(?:\s+(?:correcte|finale))?(?:\s+est)?|je\s+choisis",
    "es": r"(?:la\s+)?respuesta(?:\s+(?:correcta|final))?(?:\s+es)?|elijo",
    "tr": r"(?:doğru\s+)?(?:cevap|yanıt)(?:ı|ım|ımız)?(?:\s+şudur)?|doğru\s+şık",
    "ar": r"(?:الإجابة|الاجابة|الجواب|الخيار|الاختيار)(?:\s+(?:الصحيحة|الصحيح|النهائية))?(?:\s+(?:هي|هو))?",
    "he": r"ה?תשובה(?:\s+ה?נכונה)?(?:\s+(?:היא|הוא))?",
    # Ge'ez is a syllabary: መልስ "answer", መልሱ "the answer" differ in the last glyph.
    "am": r"(?:ትክክለኛው\s+)?መል(?:ሱ|ስ|ሷ)",
    "ti": r"(?:ቅኑዕ\s+)?መል(?:ሲ|ሱ|ስ)",
    "mt": r"(?:it-)?tweġiba(?:\s+(?:korretta|t-tajba))?(?:\s+(?:hija|hi))?",
    "ja": r"(?:正しい)?(?:答え|回答|解答|正解)(?:は)?",
    "ko": r"(?:정답|답|대답)(?:은|는)?",
    "zh": r"(?:正确|正確)?(?:答案|答)(?:是|为|為)?|选择|選擇|选|選",
}
# Languages that also put the label first: "3番が正解", "3번이 정답", "B是正确答案", "B şıkkı doğru".
LABEL_FIRST: dict[str, str] = {
    "ja": r"(?:番)?\s*(?:が|は)?\s*(?:正解|正しい)",
    "ko": r"(?:번)?\s*(?:이|가)?\s*(?:정답|맞습니다)",
    "zh": r"\s*(?:是|为|為)\s*(?:正确|正確)(?:答案|的)?",
    "tr": r"\s*(?:şıkkı|seçeneği)\s*doğru",
}
# Belebele code (ISO 639-3) -> key of the tables above.
LANG_KEY: dict[str, str] = {
    **{c: "ar" for c in ("arb", "acm", "apc", "ars", "ary", "arz", "ajp", "aeb", "acq", "ayl")},
    "heb": "he", "amh": "am", "tir": "ti", "mlt": "mt", "eng": "en", "fra": "fr", "spa": "es",
    "jpn": "ja", "kor": "ko", "zho": "zh", "cmn": "zh", "tur": "tr",
}
_PUNCT = r"[\s:：=*\-–—(（\[「『\"'“”«»፡፦,，]*"
_OPTION_WORD = (r"(?:(?:option|choice|l['’]option|(?:la\s+)?opción|number|no\.|رقم|الخيار|מספר|numru|şık|"
                r"seçenek|선택지|選択肢|选项|選項|ምርጫ)" + _PUNCT + r")?")
_COPULA = r"(?:(?:is|est|es|هي|هو|היא|הוא|ነው|hija|は|是|为|為|은|는)" + _PUNCT + r")?"
# Digits and letters models write in other scripts, folded to ASCII before matching.
_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},      # full-width digits
                       **{chr(0xFF21 + i): chr(65 + i) for i in range(26)},  # full-width capitals
                       **{chr(0x0660 + i): str(i) for i in range(10)},      # Arabic-Indic digits
                       **{chr(0x06F0 + i): str(i) for i in range(10)},      # Extended Arabic-Indic
                       **{chr(0x1369 + i): str(i + 1) for i in range(9)}})  # Ethiopic ፩..፱
# Native letters for A-D after an answer cue (Arabic abjad order, Hebrew alef-bet).
_NATIVE_LETTERS = {"ar": ("أ", "ب", "ج", "د"), "he": ("א", "ב", "ג", "ד")}


def lang_key(code: str | None) -> str:
    """The cue-table key of a Belebele code ('arb_Arab' -> 'ar'); English when unknown."""
    if not code:
        return "en"
    return LANG_KEY.get(code.split("_")[0], "en")


@functools.lru_cache(maxsize=64)
def _patterns(key: str, labels: tuple[str, ...]) -> list[tuple[re.Pattern, dict[str, int]]]:
    values = {lab: k + 1 for k, lab in enumerate(labels)}
    if labels == ("A", "B", "C", "D") and key in _NATIVE_LETTERS:
        values.update({ch: k + 1 for k, ch in enumerate(_NATIVE_LETTERS[key])})
    alt = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    label = rf"(?-i:(?P<label>{alt}))(?![0-9A-Za-z])"
    out = []
    for k in dict.fromkeys([key, "en"]):
        cue = ANSWER_CUES[k]
        out.append((re.compile(rf"(?:{cue}){_PUNCT}{_COPULA}{_OPTION_WORD}{label}", re.I), values))
        if k in LABEL_FIRST:
            first = rf"(?<![0-9A-Za-z])(?-i:(?P<label>{alt})){LABEL_FIRST[k]}"
            out.append((re.compile(first, re.I), values))
    return out


def stated_answer(text: str, labels: Sequence[str], lang: str | None = None,
                  chat: "ChatFormat | None" = None, stops: tuple[str, ...] = (),
                  names: Sequence[str] = ()) -> int | None:
    """The label (1..4) the final answer states last, or None when no answer pattern matches.

    ``lang`` is a Belebele code ('arb_Arab'); its cues are tried together with English ones. Only the
    final answer is read (``chat``'s format: after ``</think>``, Harmony's ``final`` channel); a generation
    whose reasoning never closed states nothing. ``stops``: the tokenizer's eos/pad strings.
    """
    final = split_generation(chat, text, stops).final
    if final is None:
        return None
    found = _last_answer(final, labels, lang)
    return found if found is not None or not names else _last_name(final, names)


def _last_name(text: str, names: Sequence[str]) -> int | None:
    """The option whose name the text mentions last (a task whose options are short names, e.g. SIB-200's
    topics: a model often answers "the topic is travel" instead of a label)."""
    best: tuple[int, int] | None = None
    for k, name in enumerate(names, 1):
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I):
            if best is None or m.end() > best[0]:
                best = (m.end(), k)
    return best[1] if best else None


def _last_answer(text: str, labels: Sequence[str], lang: str | None) -> int | None:
    """The last answer-cue match in ``text`` (the position of its end decides)."""
    folded = text.translate(_FOLD)
    best: tuple[int, int] | None = None  # (end position, answer)
    for pattern, values in _patterns(lang_key(lang), tuple(labels)):
        for m in pattern.finditer(folded):
            if best is None or m.end() > best[0]:
                best = (m.end(), values[m.group("label")])
    return best[1] if best else None


def _stops(chat: "ChatFormat | None", tok) -> tuple[str, ...]:
    """End-of-text strings a raw (special tokens kept) generation may hold; none for the generic family,
    whose generations are decoded without special tokens as before."""
    if chat is None or chat.family == "generic" or tok is None:
        return ()
    return tuple(t for t in (tok.eos_token, tok.pad_token) if isinstance(t, str) and t)


def generate_reasoning(model, tok, prompts: list[str], chat_template: "bool | ChatFormat | None",
                       max_new_tokens: int, batch_size: int = 4) -> list[str]:
    """Greedy continuations of each prompt (left-padded, length-sorted batches). For a chat family the
    special tokens stay in the text (``</think>`` or Harmony's channel markers may be special tokens);
    trailing padding is dropped."""
    import torch

    chat = resolve_chat(tok, chat_template)
    raw = chat is not None and chat.family != "generic"
    enc = [encode_prompt(tok, p, chat_template) for p in prompts]
    out: dict[int, str] = {}
    device = next(model.parameters()).device
    for batch in batches(sorted(range(len(enc)), key=lambda i: -len(enc[i])), batch_size):
        ids, mask, _ = left_pad([enc[i] for i in batch], tok.pad_token_id)
        with torch.no_grad():
            gen = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), do_sample=False,
                                 max_new_tokens=max_new_tokens, pad_token_id=tok.pad_token_id)
        for row, i in enumerate(batch):
            new = gen[row, ids.shape[1]:].tolist()
            if raw:
                while new and new[-1] == tok.pad_token_id:
                    new.pop()
            out[i] = tok.decode(new, skip_special_tokens=not raw)
    return [out[i] for i in range(len(enc))]


def cot_prompts(tok, items: Sequence[Item], fmt: PromptFormat, chat_template: "bool | ChatFormat | None",
                reasoning: Sequence[str] | None = None) -> list[str]:
    """The reasoning prompts, or with ``reasoning`` (the raw generations) the label-scoring prompts after it.

    Families with a native reasoning block (thinking on) open it (Qwen3 ``<think>\\n``, DeepSeek
    ``<think>``, Harmony ``analysis``) and score after it is closed (``…</think>\\n\\nAnswer:``, Harmony
    ``…<|end|><|start|>assistant<|channel|>final<|message|>Answer:``), a cut-off reasoning closed the same
    way; the others get the step-by-step cue in the visible answer and ``<reasoning>\\nAnswer:``.
    """
    chat = resolve_chat(tok, chat_template)
    if chat is not None and chat.native_reasoning:
        heads = [open_reasoning(tok, fmt.render(it).rpartition(ANSWER)[0].rstrip(), chat) for it in items]
    else:
        heads = [prompt_text(tok, it, fmt, chat_template)[: -len(ANSWER)] + COT_CUE for it in items]
    if reasoning is None:
        return heads
    stops = _stops(chat, tok)
    gens = [split_generation(chat, r, stops) for r in reasoning]
    if chat is not None and chat.native_reasoning:
        return [h + close_reasoning(chat, g.reasoning) + ANSWER for h, g in zip(heads, gens)]
    return [h + g.reasoning + "\n" + ANSWER for h, g in zip(heads, gens)]


def score_cot(model, tok, items: Sequence[Item], fmt: PromptFormat, labels: LabelTokens, *,
              chat_template: "bool | ChatFormat | None", max_new_tokens: int, batch_size: int = 8,
              progress: Callable[[int], None] | None = None, prefix_reuse: bool | str = True,
              answer_names: bool = False) -> list[Prediction]:
    """Reason first (greedy, at most ``max_new_tokens``), then score the labels after the reasoning (see
    ``cot_prompts``); each prediction's ``extra`` holds ``cot_text`` (the raw generation), ``stated_answer``
    (read from the final answer only; None when the reasoning was cut off) and ``cot_truncated``.
    ``prefix_reuse`` as in ``score_items`` (the passage before the reasoning is shared). ``answer_names``
    (the task's setting): an answer stated by option name counts when no label is stated."""
    def generate(prompts, chat, n):
        return generate_reasoning(model, tok, prompts, chat, n, batch_size)

    def score(prompts, chat):
        return score_items(model, tok, items, fmt, chat_template=chat, batch_size=batch_size, labels=labels,
                           prompts=prompts, progress=progress, prefix_reuse=prefix_reuse)

    return cot_predictions(generate, score, tok, items, fmt, chat_template=chat_template,
                           max_new_tokens=max_new_tokens, answer_names=answer_names)


def cot_predictions(generate: Callable, score: Callable, tok, items: Sequence[Item], fmt: PromptFormat, *,
                    chat_template: "bool | ChatFormat | None", max_new_tokens: int,
                    answer_names: bool = False) -> list[Prediction]:
    """``score_cot`` on any engine: ``generate(prompts, chat, max_new_tokens)`` returns the raw reasoning
    texts, ``score(prompts, chat)`` the label predictions after them (``xlt.engines`` passes its own)."""
    chat = resolve_chat(tok, chat_template)
    reasoning = generate(cot_prompts(tok, items, fmt, chat), chat, max_new_tokens)
    preds = score(cot_prompts(tok, items, fmt, chat, reasoning), chat)
    stops = _stops(chat, tok)
    for p, it, r in zip(preds, items, reasoning):
        names = it.options if answer_names else ()
        p.extra = {"cot_text": r, "stated_answer": stated_answer(r, fmt.labels, it.lang, chat, stops, names),
                   "cot_truncated": split_generation(chat, r, stops).truncated}
    return preds

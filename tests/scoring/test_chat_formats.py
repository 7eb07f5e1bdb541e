"""Chat and reasoning formats per family against each family's documented chat template (the packaged
reference templates attached to the tiny tokenizer): label-scoring prompts, thinking on/off, Harmony
reasoning effort, CoT open/close, final-answer extraction, token ids of the label position."""

from __future__ import annotations

import copy

import pytest

from xlt.chat import ChatFormat, chat_format, detect_family, reference_template, split_generation
from xlt.data.encode import encode_prompt, prompt_text
from xlt.data.items import Item
from xlt.data.prompts import FORMATS
from xlt.errors import ConfigError
from xlt.scoring.cot import cot_prompts, score_cot, stated_answer
from xlt.scoring.labels import resolve_labels
from xlt.scoring.metrics import summarize
from xlt.scoring.reference import naive_logprobs
from xlt.training.examples import IGNORE, build_examples

FMT = FORMATS["numbered"]
ITEM = Item("eng_Latn", "l0", 1, "Adam lives in Tunis.", "Where does Adam live?", ("Tunis", "Paris", "Rome", "Seoul"), 1)
QUESTION = FMT.render(ITEM).rpartition("Answer:")[0].rstrip()
HARMONY_SYSTEM = ("<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n"
                  "Knowledge cutoff: 2024-06\nCurrent date: 2025-06-28\n\nReasoning: {}\n\n"
                  "# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>")
# Each family's label-scoring prompt for ITEM, written out from its documented format (see xlt.chat.formats).
EXPECTED = {
    "qwen3": f"<|im_start|>user\n{QUESTION}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nAnswer:",
    "harmony": HARMONY_SYSTEM.format("low") + f"<|start|>user<|message|>{QUESTION}<|end|>"
                                              "<|start|>assistant<|channel|>final<|message|>Answer:",
    "deepseek_v3": f"<s><｜User｜>{QUESTION}<｜Assistant｜></think>Answer:",
    "llama3": ("<s><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
               "Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
               f"{QUESTION}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nAnswer:"),
}
COT_HEAD = {  # the reasoning prompt (thinking on) of the families that have a reasoning block
    "qwen3": f"<|im_start|>user\n{QUESTION}<|im_end|>\n<|im_start|>assistant\n<think>\n",
    "harmony": HARMONY_SYSTEM.format("low") + f"<|start|>user<|message|>{QUESTION}<|end|>"
                                              "<|start|>assistant<|channel|>analysis<|message|>",
    "deepseek_v3": f"<s><｜User｜>{QUESTION}<｜Assistant｜><think>",
}
SPECIALS = {"qwen3": ["<|im_start|>", "<|im_end|>", "<think>", "</think>"],
            "harmony": ["<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|return|>"],
            "deepseek_v3": ["<｜User｜>", "<｜Assistant｜>", "<think>", "</think>", "<｜end▁of▁sentence｜>"],
            "llama3": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]}
FAMILIES = sorted(EXPECTED)


def _fmt(family: str, **kw) -> ChatFormat:
    kw.setdefault("date", "2025-06-28")
    return ChatFormat(family, reasoning_effort="low" if family == "harmony" else None, **kw)


@pytest.fixture
def family_tok(tiny_model):
    """family -> a copy of the tiny tokenizer with the family's reference template (and its markers as
    special tokens, so they stay single tokens as in the real vocabularies)."""
    def make(family: str, specials: bool = False):
        tok = copy.deepcopy(tiny_model[1])
        tok.chat_template = reference_template(family)
        if specials:
            tok.add_special_tokens({"additional_special_tokens": SPECIALS[family]})
        return tok
    return make


def _apply(tok, **kw) -> str:
    return tok.apply_chat_template([{"role": "user", "content": QUESTION}], tokenize=False,
                                   add_generation_prompt=True, **kw)


@pytest.mark.parametrize("family", FAMILIES)
def test_label_prompt_is_the_documented_format(family_tok, family):
    tok = family_tok(family)
    assert prompt_text(tok, ITEM, FMT, _fmt(family)) == EXPECTED[family]
    assert detect_family(tok) == family
    # chat_template=True (what xlt.pipeline passes) finds the family in the tokenizer's template
    assert prompt_text(tok, ITEM, FMT, True) == EXPECTED[family].replace("Reasoning: low", "Reasoning: medium")


def test_qwen3_thinking_switch_matches_the_template(family_tok):
    tok = family_tok("qwen3")
    text = prompt_text(tok, ITEM, FMT, _fmt("qwen3"))
    assert text == _apply(tok, enable_thinking=False) + "Answer:"
    assert text == _apply(tok, enable_thinking=True) + "<think>\n\n</think>\n\nAnswer:"
    assert cot_prompts(tok, [ITEM], FMT, _fmt("qwen3")) == [_apply(tok, enable_thinking=True) + "<think>\n"]
    # a template without the switch still gets the documented opening (the format, not the switch, decides)
    tok.chat_template = reference_template("qwen3").replace("enable_thinking is defined and enable_thinking is false",
                                                            "false")
    assert prompt_text(tok, ITEM, FMT, _fmt("qwen3")) == text


def test_deepseek_thinking_switch_matches_the_template(family_tok):
    tok = family_tok("deepseek_v3")
    assert prompt_text(tok, ITEM, FMT, _fmt("deepseek_v3")) == _apply(tok, thinking=False) + "Answer:"
    assert cot_prompts(tok, [ITEM], FMT, _fmt("deepseek_v3")) == [_apply(tok, thinking=True)]


@pytest.mark.parametrize("effort", ["low", "medium", "high"])
def test_harmony_reasoning_effort_in_the_system_message(family_tok, effort):
    tok = family_tok("harmony")
    chat = ChatFormat("harmony", reasoning_effort=effort)  # no date: the template's own strftime_now
    text = prompt_text(tok, ITEM, FMT, chat)
    assert text == _apply(tok, reasoning_effort=effort) + "<|channel|>final<|message|>Answer:"
    assert f"\n\nReasoning: {effort}\n\n# Valid channels" in text
    pinned = prompt_text(tok, ITEM, FMT, ChatFormat("harmony", reasoning_effort=effort, date="2025-06-28"))
    assert pinned == EXPECTED["harmony"].replace("Reasoning: low", f"Reasoning: {effort}")
    with pytest.raises(ConfigError):
        ChatFormat("harmony", reasoning_effort="maximal")


@pytest.mark.parametrize("family", sorted(COT_HEAD))
def test_cot_opens_and_closes_the_reasoning_block(family_tok, family):
    tok, chat = family_tok(family), _fmt(family)
    assert cot_prompts(tok, [ITEM], FMT, chat) == [COT_HEAD[family]]
    closed = {"qwen3": "Adam lives in Tunis.\n</think>\n\nThe answer is 1.<|im_end|>",
              "harmony": "Adam lives in Tunis.<|end|><|start|>assistant<|channel|>final<|message|>1<|return|>",
              "deepseek_v3": "Adam lives in Tunis.</think>The answer is 1.<｜end▁of▁sentence｜>"}[family]
    cut = "Adam lives in Tunis and"  # max_new_tokens reached inside the reasoning
    after = {"qwen3": "\n</think>\n\nAnswer:", "deepseek_v3": "</think>Answer:",
             "harmony": "<|end|><|start|>assistant<|channel|>final<|message|>Answer:"}[family]
    got = cot_prompts(tok, [ITEM, ITEM], FMT, chat, [closed, cut])
    assert got == [COT_HEAD[family] + "Adam lives in Tunis." + after, COT_HEAD[family] + cut + after]


def test_cue_cot_for_families_without_native_reasoning(family_tok):
    tok = family_tok("llama3")
    head = EXPECTED["llama3"][: -len("Answer:")] + "Let's think step by step."
    assert cot_prompts(tok, [ITEM], FMT, _fmt("llama3")) == [head]
    assert cot_prompts(tok, [ITEM], FMT, _fmt("llama3"), [" It is Tunis, answer 1.<|eot_id|>"]) == \
        [head + " It is Tunis, answer 1.\nAnswer:"]
    qwen = family_tok("qwen3")  # thinking off: the cue goes into the visible answer after the empty block
    assert cot_prompts(qwen, [ITEM], FMT, _fmt("qwen3", thinking=False)) == \
        [EXPECTED["qwen3"][: -len("Answer:")] + "Let's think step by step."]


@pytest.mark.parametrize(("family", "text", "want"), [
    # the reasoning states one answer, the final answer another: the final one wins
    ("qwen3", "So the answer is 1?\n</think>\n\nThe answer is 3.<|im_end|>", 3),
    ("qwen3", "<think>\nthe answer is 1\n</think>\n\nAnswer: 2", 2),       # the model re-opened the block
    ("qwen3", "The answer is 2, but let me check the passage again", None),  # never closed: no answer
    ("qwen3", "The answer is 2.\n</think>\n\n", None),                     # closed, but nothing stated
    ("deepseek_v3", "The answer is 1.</think>The answer is 4.<｜end▁of▁sentence｜>", 4),
    ("deepseek_v3", "The answer is 1. Hmm", None),
    ("harmony", "The answer is 1.<|end|><|start|>assistant<|channel|>final<|message|>Answer: 2<|return|>", 2),
    ("harmony", "The answer is 1.<|end|>", None),                          # analysis only
    ("harmony", "The answer is 1.<|end|><|start|>assistant<|channel|>analysis<|message|>answer is 3", None),
    ("harmony", "The answer is 1 and", None),                               # analysis cut off
    ("llama3", "The answer is 2.<|eot_id|>", 2),
])
def test_final_answer_is_read_outside_reasoning(family, text, want):
    assert stated_answer(text, FMT.labels, "eng_Latn", _fmt(family)) == want


def test_generic_family_reads_think_blocks_too():
    assert stated_answer("The answer is 2.", FMT.labels, "eng_Latn") == 2  # as before
    assert stated_answer("<think>answer is 1</think>The answer is 3.", FMT.labels, "eng_Latn") == 3
    assert stated_answer("<think>the answer is 1, or", FMT.labels, "eng_Latn") is None
    g = split_generation(_fmt("qwen3"), "still thinking about answer 2")
    assert g.truncated and g.final is None and g.reasoning == "still thinking about answer 2"


@pytest.mark.parametrize("family", FAMILIES)
def test_label_ids_follow_the_opened_assistant_turn(family_tok, tiny_model, family):
    """With the family's markers as special tokens, the prompt ends with the opening's ids then 'Answer:',
    and a training example's label ids come right after (what the scorer reads at that position)."""
    tok, chat = family_tok(family, specials=True), _fmt(family)
    opened = EXPECTED[family][: -len("Answer:")]
    ids = encode_prompt(tok, prompt_text(tok, ITEM, FMT, chat), chat)
    answer = list(tok("Answer:", add_special_tokens=False)["input_ids"])
    assert ids == encode_prompt(tok, opened, chat) + answer
    last_special = max(SPECIALS[family], key=opened.rfind)  # the opening's last marker, e.g. </think>
    tail = tok.decode(ids[len(ids) - ids[::-1].index(tok.convert_tokens_to_ids(last_special)):])
    assert last_special + tail == opened[opened.rfind(last_special):] + "Answer:"
    labels = resolve_labels(tok, FMT.labels)
    ex = build_examples(tok, [ITEM], FMT, labels, chat_template=chat)[0]
    first = next(i for i, lab in enumerate(ex.labels) if lab != IGNORE)
    assert ex.input_ids[:first] == ids + list(labels.lead)
    assert ex.input_ids[first:] == list(labels.continuations[ITEM.answer - 1])


@pytest.mark.parametrize("family", ["qwen3", "harmony"])
def test_tiny_model_native_cot_run(family_tok, tiny_model, family):
    """End to end on the tiny model: a random model never closes its reasoning in 5 tokens, so nothing is
    stated, the prediction is still scored after the block is closed, and the truncation is reported."""
    model = tiny_model[0]
    tok, chat = family_tok(family), _fmt(family)  # markers as plain text: the model's vocabulary is fixed
    items = [ITEM, Item("arb_Arab", "l1", 1, "Adam lives in Tunis. " * 3, "Who?", ("Adam", "Eve", "Ali", "Sara"), 1)]
    labels = resolve_labels(tok, FMT.labels)
    preds = score_cot(model, tok, items, FMT, labels, chat_template=chat, max_new_tokens=5, batch_size=2)
    prompts = cot_prompts(tok, items, FMT, chat, [p.extra["cot_text"] for p in preds])
    close = "\n</think>\n\nAnswer:" if family == "qwen3" else "<|end|><|start|>assistant<|channel|>final<|message|>Answer:"
    for p, it, prompt in zip(preds, items, prompts):
        assert p.extra["cot_truncated"] is True and p.extra["stated_answer"] is None
        assert prompt.startswith(cot_prompts(tok, [it], FMT, chat)[0]) and prompt.endswith(close)
        ref = naive_logprobs(model, tok, it, FMT, chat_template=chat, prompt=prompt)
        assert max(abs(a - b) for a, b in zip(p.logprobs, ref)) <= 1e-4
    m = summarize(preds).per_lang["eng_Latn"].cot
    assert m.parse_rate == 0.0 and m.truncated_rate == 1.0


def test_detect_family_from_template_or_model_type(tiny_model):
    tok = copy.deepcopy(tiny_model[1])
    assert detect_family(tok) == "generic" and detect_family(tok, "gpt_oss") == "harmony"
    assert detect_family(None, "qwen3_moe") == "qwen3" and detect_family(None, "mistral") == "generic"
    tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
                         "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    assert detect_family(tok, "llama") == "generic"  # SmolLM2's ChatML: the template wins over model_type
    tok.chat_template = "{{ bos_token }}{% for m in messages %}<｜User｜>{{ m['content'] }}{% endfor %}<｜Assistant｜>"
    assert detect_family(tok) == "generic"  # DeepSeek-V3 (no thinking switch) is not the V3.1 format


def test_chat_format_from_preset(tiny_model):
    from omegaconf import OmegaConf

    from xlt.models.presets import compose_model

    tok = copy.deepcopy(tiny_model[1])
    assert chat_format(compose_model("tiny_qwen3"), tok) is None  # chat_template: false
    cfg = compose_model("gpt_oss_20b")
    assert cfg.chat.family == "harmony" and cfg.chat.reasoning_effort == "low"
    tok.chat_template = reference_template("harmony")
    assert chat_format(cfg, tok) == ChatFormat("harmony", reasoning_effort="low", date="2025-06-28")
    bare = copy.deepcopy(tiny_model[1])  # no template: the reference one is attached only when asked
    twin = OmegaConf.merge(compose_model("tiny_qwen3"), {"chat_template": True, "chat": {"reference_template": True}})
    assert chat_format(twin, bare) == ChatFormat("qwen3") and bare.chat_template == reference_template("qwen3")
    auto = OmegaConf.create({"chat_template": "auto", "arch": {"model_type": "llama"}})
    assert chat_format(auto, copy.deepcopy(tiny_model[1])) is None  # hf preset, tokenizer without a template
    with pytest.raises(ConfigError, match="chat family"):
        chat_format(OmegaConf.create({"chat_template": True, "chat": {"family": "nope"}}), tok)

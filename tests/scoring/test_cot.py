"""Chain-of-thought: stated-answer parsing in many languages, parse rate in metrics, a tiny-model run."""

from __future__ import annotations

import pytest

from xlt.data.items import Item
from xlt.data.prompts import FORMATS
from xlt.results.records import Prediction
from xlt.scoring.cot import cot_prompts, score_cot, stated_answer
from xlt.scoring.labels import resolve_labels
from xlt.scoring.metrics import summarize
from xlt.scoring.reference import naive_logprobs

NUM, LET = FORMATS["numbered"].labels, FORMATS["lettered"].labels


@pytest.mark.parametrize(("text", "labels", "lang", "want"), [
    ("The passage says nine. So the answer is 3.", NUM, "eng_Latn", 3),
    ("Answer: B", LET, "eng_Latn", 2),
    ("Option 2 mentions Paris, but the correct answer is (4).", NUM, "eng_Latn", 4),
    ("First I thought the answer is 1, but the final answer is 2.", NUM, "eng_Latn", 2),
    ("La bonne réponse est B.", LET, "fra_Latn", 2),
    ("La respuesta correcta es la opción 3.", NUM, "spa_Latn", 3),
    ("Doğru cevap: C", LET, "tur_Latn", 3),
    ("B şıkkı doğru.", LET, "tur_Latn", 2),
    ("الإجابة الصحيحة هي ٣", NUM, "arb_Arab", 3),       # Arabic-Indic digit
    ("الجواب: ب", LET, "ary_Arab", 2),                   # Arabic letter for B
    ("התשובה הנכונה היא 2", NUM, "heb_Hebr", 2),
    ("መልሱ፦ 4 ነው።", NUM, "amh_Ethi", 4),
    ("መልሲ ፪", NUM, "tir_Ethi", 2),                        # Ethiopic numeral
    ("It-tweġiba hija C.", LET, "mlt_Latn", 3),
    ("答えは３です。", NUM, "jpn_Jpan", 3),                  # full-width digit
    ("2番が正解です。", NUM, "jpn_Jpan", 2),
    ("정답은 1번입니다.", NUM, "kor_Hang", 1),
    ("3번이 정답", NUM, "kor_Hang", 3),
    ("答案是D。", LET, "zho_Hans", 4),
    ("选B", LET, "zho_Hans", 2),
    ("الإجابة هي 1 ... Answer: 4", NUM, "arb_Arab", 4),   # the last stated answer wins; English always tried
])
def test_stated_answer_multilingual(text, labels, lang, want):
    assert stated_answer(text, labels, lang) == want


@pytest.mark.parametrize(("text", "labels"), [
    ("the answer is a bit unclear", LET),   # lower-case 'a' is a word, not a label
    ("answer is 12", NUM),                    # a number that merely starts with a label
    ("I think 3 people went to the market.", NUM),  # a label without an answer cue
    ("", NUM),
])
def test_unparseable_text_is_a_failure(text, labels):
    assert stated_answer(text, labels, "eng_Latn") is None


def _pred(lang: str, stated, pred: int) -> Prediction:
    return Prediction(lang, "l", 1, [0.0] * 4, pred, 1, "label-token", {"cot_text": "", "stated_answer": stated})


def test_summarize_reports_parse_rate_per_language():
    preds = [_pred("arb_Arab", 2, 2), _pred("arb_Arab", None, 1), _pred("arb_Arab", 3, 1), _pred("arb_Arab", None, 4),
             _pred("eng_Latn", 1, 1)]
    m = summarize(preds)
    ar, en = m.per_lang["arb_Arab"].cot, m.per_lang["eng_Latn"].cot
    assert ar.parse_rate == 0.5 and ar.parse_failure_rate == 0.5 and ar.stated_agrees == 0.5
    assert en.parse_rate == 1.0
    plain = summarize([Prediction("eng_Latn", "l", 1, [0.0] * 4, 1, 1, "label-token")])
    assert "cot_parse_rate" not in plain.to_dict()["per_lang"]["eng_Latn"]


@pytest.mark.parametrize("prefix_reuse", ["packed", False])
def test_tiny_model_cot_run(tiny_model, prefix_reuse):
    model, tok, _ = tiny_model
    fmt = FORMATS["numbered"]
    items = [Item(lang, f"l{i}", 1 + i % 2, "Adam lives in Tunis. " * (1 + i), f"Where does Adam live {i}?",
                  ("Tunis", "Paris", "Rome", "Seoul"), 1) for i, lang in enumerate(["arb_Arab", "eng_Latn", "jpn_Jpan"])]
    items.append(Item("arb_Arab", "l0", 2, items[0].passage, "Who lives in Tunis?", ("Adam", "Eve", "Ali", "Sara"), 1))
    labels = resolve_labels(tok, fmt.labels)
    done: list[int] = []
    preds = score_cot(model, tok, items, fmt, labels, chat_template=False, max_new_tokens=6, batch_size=2,
                      progress=done.append, prefix_reuse=prefix_reuse)
    assert sum(done) == len(items)
    assert [p.lang for p in preds] == [it.lang for it in items]
    for p, it in zip(preds, items):
        assert isinstance(p.extra["cot_text"], str)
        assert p.extra["stated_answer"] == stated_answer(p.extra["cot_text"], fmt.labels, it.lang)
        assert p.pred == 1 + max(range(4), key=lambda k: p.logprobs[k])
    # the labels are scored after the reasoning: equal to the naive reference on that prompt
    prompts = cot_prompts(tok, items, fmt, False, [p.extra["cot_text"] for p in preds])
    assert all(pr.endswith("\nAnswer:") and "Let's think step by step." in pr for pr in prompts)
    for p, it, prompt in zip(preds, items, prompts):
        ref = naive_logprobs(model, tok, it, fmt, prompt=prompt)
        assert max(abs(a - b) for a, b in zip(p.logprobs, ref)) <= 1e-4
    m = summarize(preds)
    assert all(0.0 <= v.cot.parse_rate <= 1.0 for v in m.per_lang.values())


def test_stated_answer_by_option_name_only_when_the_task_allows_it():
    topics = ("science/technology", "travel", "politics", "sports", "health", "entertainment", "geography")
    labels = tuple("1234567")
    text = "It talks about flights and hotels, not politics. So the topic is travel."
    assert stated_answer(text, labels, "eng_Latn") is None  # no label stated: no answer without names
    assert stated_answer(text, labels, "eng_Latn", names=topics) == 2  # the name mentioned last
    assert stated_answer("The answer is 5, health.", labels, "eng_Latn", names=topics) == 5  # a label wins
    assert stated_answer("Science/Technology it is", labels, "eng_Latn", names=topics) == 1
    assert stated_answer("a sportsman travels", labels, "eng_Latn", names=topics) is None  # whole names only

"""Summaries of per-item predictions: accuracy per target language and per family."""

from __future__ import annotations

from typing import Any, Sequence

from xlt.scoring.scorer import Prediction


def summarize(preds: Sequence[Prediction], condition: dict[str, Any]) -> dict[str, Any]:
    """Metrics for one condition: per-language accuracy (with Wilson CI), family means, CoT parse rate."""
    from xlt.languages import LANGUAGES
    from xlt.stats.paired import wilson_interval

    per_lang: dict[str, dict[str, Any]] = {}
    for lang in dict.fromkeys(p.lang for p in preds):
        rows = [p for p in preds if p.lang == lang]
        k = sum(p.correct for p in rows)
        lo, hi = (float(x) for x in wilson_interval(k, len(rows)))
        entry: dict[str, Any] = {"accuracy": k / len(rows), "n": len(rows), "ci95": [lo, hi],
                                 "method": rows[0].method}
        stated = [(p.extra.get("stated_answer"), p.pred) for p in rows if "stated_answer" in p.extra]
        if stated:
            parsed = [(s, pred) for s, pred in stated if s is not None]
            entry["cot_parse_rate"] = len(parsed) / len(stated)
            entry["cot_parse_failure_rate"] = 1 - entry["cot_parse_rate"]
            # how often the stated answer is the label the scorer picked after the reasoning
            entry["cot_stated_agrees"] = (sum(s == pred for s, pred in parsed) / len(parsed)) if parsed else None
            cut = [p.extra["cot_truncated"] for p in rows if "cot_truncated" in p.extra]
            if cut:  # reasoning still open at max_new_tokens: counted above as no stated answer
                entry["cot_truncated_rate"] = sum(map(bool, cut)) / len(cut)
        lang_info = LANGUAGES.get(lang)
        entry["family"] = lang_info.family if lang_info else None
        entry["semitic"] = bool(lang_info and lang_info.semitic)
        per_lang[lang] = entry
    groups = {"semitic": [v["accuracy"] for v in per_lang.values() if v["semitic"]],
              "non_semitic": [v["accuracy"] for v in per_lang.values() if not v["semitic"]]}
    return {
        "condition": condition,
        "accuracy": {lang: v["accuracy"] for lang, v in per_lang.items()},
        "per_lang": per_lang,
        "family_mean": {g: (sum(v) / len(v) if v else None) for g, v in groups.items()},
        "n_items": len(preds),
    }

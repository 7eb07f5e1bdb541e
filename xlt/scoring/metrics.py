"""Summaries of per-item predictions: accuracy per target language and per genus group."""

from __future__ import annotations

from typing import Any, Sequence

from xlt.languages.groups import GENUS_GROUPS, family_of, genus_group, is_semitic
from xlt.results.records import CotRates, LanguageMetrics, MetricsRecord, Prediction


def cot_rates(rows: Sequence[Prediction]) -> CotRates | None:
    """How one target's CoT answers read; None when its predictions hold no stated answer (no CoT)."""
    stated = [(p.extra.get("stated_answer"), p.pred) for p in rows if "stated_answer" in p.extra]
    if not stated:
        return None
    parsed = [(s, pred) for s, pred in stated if s is not None]
    # how often the stated answer is the label the scorer picked after the reasoning
    agrees = (sum(s == pred for s, pred in parsed) / len(parsed)) if parsed else None
    cut = [p.extra["cot_truncated"] for p in rows if "cot_truncated" in p.extra]
    # reasoning still open at max_new_tokens: counted above as no stated answer
    truncated = sum(map(bool, cut)) / len(cut) if cut else None
    return CotRates(len(parsed) / len(stated), agrees, truncated)


def summarize(preds: Sequence[Prediction], *, n_train: int | None = None, n_labels: int | None = None,
              leak: dict[str, Any] | None = None) -> MetricsRecord:
    """Metrics for one condition: per-language accuracy (with Wilson CI), genus-group means, CoT rates;
    ``n_train``, ``n_labels`` and ``leak`` are recorded as given."""
    from xlt.stats.paired import wilson_interval

    per_lang: dict[str, LanguageMetrics] = {}
    for lang in dict.fromkeys(p.lang for p in preds):
        rows = [p for p in preds if p.lang == lang]
        k = sum(p.correct for p in rows)
        lo, hi = (float(x) for x in wilson_interval(k, len(rows)))
        per_lang[lang] = LanguageMetrics(k / len(rows), len(rows), (lo, hi), rows[0].method, family_of(lang),
                                         is_semitic(lang), cot_rates(rows))
    groups = {g: [e.accuracy for lang, e in per_lang.items() if genus_group(lang) == g] for g in GENUS_GROUPS}
    means = {g: (sum(v) / len(v) if v else None) for g, v in groups.items()}
    return MetricsRecord(per_lang, means, len(preds), n_train=n_train, n_labels=n_labels, leak=leak)

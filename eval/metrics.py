"""Metrics as small pure functions over plain values; `aggregate` averages them over questions.

Retrieval metrics are computed by `ir_measures` (binary relevance: a gold paper is relevant).
Citation metrics follow ALCE (Gao et al., 2023): citation recall is the share of answer sentences whose cited
sources support them; citation precision the share of citations that support their sentence. "Supports" is
judged by a support function (see eval/runner.py) passed in as precomputed scores.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import ir_measures

RETRIEVAL_MEASURES = {
    "hit@1": ir_measures.Success @ 1,
    "hit@5": ir_measures.Success @ 5,
    "mrr": ir_measures.RR,
    "ndcg@10": ir_measures.nDCG @ 10,
}


def retrieval(ranked: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    """hit@1, hit@5, MRR and nDCG@10 of one ranked list of paper ids against the gold ids.

    >>> retrieval(["x", "g"], ["g"])["mrr"]
    0.5
    """
    if not gold:
        raise ValueError("retrieval metrics need at least one gold paper")
    qrels = [ir_measures.Qrel("q", doc, 1) for doc in gold]
    run = [ir_measures.ScoredDoc("q", doc, float(len(ranked) - i)) for i, doc in enumerate(ranked)]
    scores = {str(m.measure): m.value for m in ir_measures.iter_calc(list(RETRIEVAL_MEASURES.values()), qrels, run)}
    return {name: float(scores.get(str(measure), 0.0)) for name, measure in RETRIEVAL_MEASURES.items()}


def citation_recall(sentence_supported: Sequence[bool]) -> float | None:
    """Share of answer sentences supported by their cited sources (None for an answer without sentences).

    >>> citation_recall([True, False, True, True])
    0.75
    """
    return sum(sentence_supported) / len(sentence_supported) if sentence_supported else None


def citation_precision(citation_supports: Sequence[bool]) -> float | None:
    """Share of citations whose source supports the sentence it is attached to (None without citations).

    >>> citation_precision([True, False])
    0.5
    """
    return sum(citation_supports) / len(citation_supports) if citation_supports else None


def cites_gold(cited: Sequence[str], gold: Sequence[str]) -> bool:
    """Whether the answer cites at least one gold paper."""
    return bool(set(cited) & set(gold))


def abstention(declined: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Precision and recall of declining on unanswerable questions; false-abstention rate on answerable ones.

    >>> abstention([True, True, False, False], [False, True, False, True])
    {'abstain_precision': 0.5, 'abstain_recall': 0.5, 'false_abstention_rate': 0.5}
    """
    pairs = list(zip(declined, answerable, strict=True))
    right = sum(d and not a for d, a in pairs)
    n_declined = sum(d for d, _ in pairs)
    n_unanswerable = sum(not a for _, a in pairs)
    n_answerable = len(pairs) - n_unanswerable
    return {
        "abstain_precision": right / n_declined if n_declined else None,
        "abstain_recall": right / n_unanswerable if n_unanswerable else None,
        "false_abstention_rate": sum(d and a for d, a in pairs) / n_answerable if n_answerable else None,
    }


def mention_coverage(answer: str, facts: Sequence[str]) -> float | None:
    """Share of `facts` found in the answer (case-insensitive; `a|b` accepts either). None without facts.

    >>> mention_coverage("Stable-SPAM needs half the steps", ["stable-spam", "half|50%", "LLaMA"])
    0.6666666666666666
    """
    if not facts:
        return None
    text = answer.lower()
    found = sum(any(alt.strip().lower() in text for alt in fact.split("|") if alt.strip()) for fact in facts)
    return found / len(facts)


def faithfulness(sentence_supported: Sequence[bool]) -> float | None:
    """Share of answer sentences supported by some retrieved source (cited or not)."""
    return citation_recall(sentence_supported)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile by the nearest-rank rule (None for no values).

    >>> percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)
    10
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100)
    return ordered[int(rank) - 1]


def mean(values: Sequence[float | None]) -> float | None:
    """Mean of the values that are not None (None if there are none)."""
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None

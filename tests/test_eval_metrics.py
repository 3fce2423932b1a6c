"""Each metric against cases computed by hand."""

from __future__ import annotations

import math

import pytest

from eval import metrics
from eval.runner import support_scores


def test_retrieval_metrics_by_hand() -> None:
    # gold at ranks 2 and 4 of 10: hit@1 0, hit@5 1, RR 1/2,
    # nDCG@10 = (1/log2(3) + 1/log2(5)) / (1/log2(2) + 1/log2(3))
    ranked = ["a", "g1", "b", "g2", "c", "d", "e", "f", "h", "i"]
    got = metrics.retrieval(ranked, ["g1", "g2"])
    ideal = 1 + 1 / math.log2(3)
    assert got["hit@1"] == 0.0 and got["hit@5"] == 1.0
    assert got["mrr"] == pytest.approx(0.5)
    assert got["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)


def test_retrieval_when_gold_is_missing_or_first() -> None:
    assert metrics.retrieval(["x", "y"], ["g"]) == {"hit@1": 0.0, "hit@5": 0.0, "mrr": 0.0, "ndcg@10": 0.0}
    assert metrics.retrieval(["g", "y"], ["g"]) == {"hit@1": 1.0, "hit@5": 1.0, "mrr": 1.0, "ndcg@10": 1.0}
    assert metrics.retrieval(["a", "b", "c", "d", "e", "g"], ["g"])["hit@5"] == 0.0
    with pytest.raises(ValueError):
        metrics.retrieval(["a"], [])


def test_citation_recall_and_precision() -> None:
    assert metrics.citation_recall([True, True, False]) == pytest.approx(2 / 3)
    assert metrics.citation_precision([True, False, False, False]) == 0.25
    assert metrics.citation_recall([]) is None and metrics.citation_precision([]) is None


def test_abstention_rates() -> None:
    # 3 unanswerable (2 declined), 2 answerable (1 declined): precision 2/3, recall 2/3, false abstention 1/2
    got = metrics.abstention([True, True, False, True, False], [False, False, False, True, True])
    assert got == {"abstain_precision": 2 / 3, "abstain_recall": 2 / 3, "false_abstention_rate": 0.5}
    assert metrics.abstention([False, False], [True, True])["abstain_precision"] is None


def test_mention_coverage_and_cites_gold() -> None:
    assert metrics.mention_coverage("It needs about HALF the steps [1].", ["half", "Adam|SGD"]) == 0.5
    assert metrics.mention_coverage("anything", []) is None
    assert metrics.cites_gold(["p1", "p2"], ["p2"]) and not metrics.cites_gold([], ["p2"])


def test_percentile_and_mean() -> None:
    assert metrics.percentile([5.0, 1.0, 3.0], 50) == 3.0
    assert metrics.percentile([1.0, 2.0], 95) == 2.0
    assert metrics.percentile([], 50) is None
    assert metrics.mean([1.0, None, 3.0]) == 2.0 and metrics.mean([None]) is None


def test_citation_metrics_use_the_models_own_markers() -> None:
    from rag.results import Answer, CheckedSentence, Source

    sources = [Source(n, f"p{n}", "t", [], "", "", "a", [], 0.0) for n in (1, 2)]
    sentences = [
        CheckedSentence("backed by its marker.", cited=[1], scores=[0.9, 0.1]),
        CheckedSentence("wrong marker, right source exists.", cited=[2, 7], scores=[0.8, 0.2]),  # [7]: no source
        CheckedSentence("no marker, unsupported.", cited=[], scores=[0.3, 0.4]),
    ]
    answer = Answer("q", "a", False, "", sentences=sentences, sources=sources)
    # recall: 1 of 3 sentences backed by a cited source; precision: 1 of 3 markers; faithful: 2 of 3 sentences
    assert support_scores(answer, 0.5) == {
        "citation_recall": pytest.approx(1 / 3),
        "citation_precision": pytest.approx(1 / 3),
        "faithfulness": pytest.approx(2 / 3),
    }

"""Citation checking with a deterministic embedder: each kind of citation error is fixed or flagged."""

from __future__ import annotations

import pytest

from rag.citations import SupportScorer, check_answer, split_answer
from rag.embed import HashEmbedder

SOURCES = [
    ("Stable-SPAM optimizer", "Stable-SPAM stabilizes 4-bit training of large language models. It beats Adam."),
    ("Graph networks for molecules", "We predict molecular properties with graph neural networks on QM9."),
]


@pytest.fixture(scope="module")
def scorer() -> SupportScorer:
    return SupportScorer(HashEmbedder(), SOURCES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A [1]. B [2]", [("A.", [1]), ("B", [2])]),
        ("Alpha. [1, 2] Beta.", [("Alpha.", [1, 2]), ("Beta.", [])]),
        ("A [1][1].", [("A.", [1])]),
        ("No markers at all.", [("No markers at all.", [])]),
        ("[1]", []),
    ],
)
def test_split_answer(text: str, expected: list) -> None:
    assert split_answer(text) == expected


def test_a_marker_standing_as_subject_is_named_after_its_paper() -> None:
    names = ["HoME", "MMoE"]
    assert split_answer("[1] proposes gated experts. [2] and [1] share experts.", names) == [
        ("HoME proposes gated experts.", [1]),
        ("MMoE and HoME share experts.", [2, 1]),
    ]


def test_checked_sentence_keeps_the_subject_its_marker_stood_for(scorer: SupportScorer) -> None:
    [s] = check_answer("[1] stabilizes 4-bit training of large language models.", scorer, 0.5)
    assert s.text == "Stable-SPAM optimizer stabilizes 4-bit training of large language models."
    assert s.citations == [1]


def test_correct_citation_is_kept(scorer: SupportScorer) -> None:
    [s] = check_answer("Stable-SPAM stabilizes 4-bit training of large language models [1].", scorer, 0.5)
    assert (s.citations, s.supported, s.notes) == ([1], True, [])
    assert s.evidence[1] == "Stable-SPAM stabilizes 4-bit training of large language models."


def test_missing_source_is_dropped_and_right_one_attached(scorer: SupportScorer) -> None:
    [s] = check_answer("Graph neural networks predict molecular properties on QM9 [7].", scorer, 0.5)
    assert s.citations == [2] and s.supported
    assert s.notes == ["dropped [7]: no such source", "added [2]: it supports this sentence"]


def test_no_citation_gets_the_supporting_source(scorer: SupportScorer) -> None:
    [s] = check_answer("Stable-SPAM beats Adam.", scorer, 0.5)
    assert s.citations == [1] and s.notes == ["added [1]: it supports this sentence"]


def test_wrong_citation_is_replaced(scorer: SupportScorer) -> None:
    [s] = check_answer("Stable-SPAM stabilizes 4-bit training [2].", scorer, 0.5)
    assert s.citations == [1]
    assert s.notes[0] == "dropped [2]: that source does not support this sentence"


def test_unsupported_claim_is_flagged(scorer: SupportScorer) -> None:
    [s] = check_answer("The French revolution began in 1789 in Paris [1].", scorer, 0.5)
    assert not s.supported and s.citations == []
    assert s.support < 0.5

"""Datasets (the dev set's own checks, bad files), reports and comparison, feedback records, generation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import DEV, TEST, Record, load_dataset, write_dataset
from eval.feedback import records_from_feedback
from eval.generate import generate
from eval.report import compare, compare_markdown, markdown
from rag.config import PROJECT_ROOT, Settings
from rag.errors import InputError
from rag.feedback import Feedback
from rag.parsers import load_sources
from tests.fakes import ScriptedLLM


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    loaded = load_sources([PROJECT_ROOT / "data"], Settings().ingest)
    return {p.paper_id: f"{p.title} {p.abstract}".lower() for p in loaded.papers.values()}


@pytest.mark.parametrize(("path", "size", "unanswerable"), [(DEV, 60, 12), (TEST, 40, 8)], ids=["dev", "test"])
def test_each_set_has_the_promised_shape_and_its_facts_are_in_the_gold_abstracts(
    corpus: dict[str, str], path: Path, size: int, unanswerable: int
) -> None:
    records = load_dataset(path)
    kinds = [r.kind for r in records]
    assert len(records) >= size
    assert sum(not r.answerable for r in records) >= unanswerable
    assert sum(bool(r.history) for r in records) >= 5
    assert {"single", "multi", "follow-up", "unanswerable"} <= set(kinds)
    assert any(r.history for r in records)
    for r in records:
        assert all(g in corpus for g in r.gold), f"{r.id}: unknown gold paper"
        assert r.answerable == bool(r.gold), f"{r.id}: answerable questions need gold papers, others none"
        text = " ".join(corpus[g] for g in r.gold)
        for fact in r.must_mention:
            assert any(alt.lower() in text for alt in fact.split("|")), f"{r.id}: {fact!r} is not in its gold"


def test_the_held_out_set_shares_no_question_with_the_development_set() -> None:
    dev = {r.question.lower() for r in load_dataset(DEV)}
    test = load_dataset(TEST)
    assert not dev & {r.question.lower() for r in test}
    assert not {r.id for r in load_dataset(DEV)} & {r.id for r in test}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"id": "a", "question": "q?"}', "'answerable'"),
        ('{"id": "a", "question": " ", "answerable": true}', "'question'"),
        ('{"id": "a", "question": "q?", "answerable": true, "gold": "p1"}', "'gold'"),
        ('{"id": "a", "question": "q?", "answerable": true, "colour": "red"}', "unknown field"),
    ],
)
def test_bad_dataset_lines_are_named(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": "ok", "question": "fine?", "answerable": false}\n' + line + "\n")
    with pytest.raises(InputError, match=message) as caught:
        load_dataset(path)
    assert "line 2" in str(caught.value)


def test_dataset_round_trip_and_duplicates(tmp_path: Path) -> None:
    records = [Record("a", "q1?", True, ["p"], must_mention=["x"]), Record("b", "q2?", False)]
    write_dataset(records, tmp_path / "d.jsonl")
    assert load_dataset(tmp_path / "d.jsonl") == records
    (tmp_path / "dup.jsonl").write_text(((tmp_path / "d.jsonl").read_text().splitlines()[0] + "\n") * 2)
    with pytest.raises(InputError, match="duplicate id"):
        load_dataset(tmp_path / "dup.jsonl")


def report(model: str, verdicts: dict[str, str], hit: float) -> dict:
    meta = {"model": model, "dataset_name": "dev", "started": "t", "dataset": "dev.jsonl", "k": 4}
    meta |= {"embed_model": "e", "support_model": "s", "judge": None, "seconds": 1.0}
    questions = [
        {"id": i, "question": f"{i}?", "failed": v, "gold": [], "answer": "a", "reason": "", "sources": []}
        for i, v in verdicts.items()
    ]
    return {
        "meta": meta,
        "summary": {"hit@1": hit, "questions": 2, "judge_faithfulness": "not run"},
        "questions": questions,
    }


def test_compare_reports_metric_deltas_and_changed_verdicts() -> None:
    a = report("A", {"q1": "", "q2": "cites no gold paper"}, 0.5)
    b = report("B", {"q1": "declined an answerable question", "q2": ""}, 0.75)
    result = compare(a, b)
    assert result["metrics"]["hit@1"] == {"a": 0.5, "b": 0.75, "delta": 0.25}
    assert result["metrics"]["judge_faithfulness"]["delta"] is None
    assert [c["id"] for c in result["changed"]] == ["q1", "q2"]
    text = compare_markdown(result)
    assert "| hit@1 | 0.500 | 0.750 | +0.250 |" in text and "q1: q1? — A: passed; B: declined" in text


def test_markdown_lists_failed_questions_and_says_not_run() -> None:
    text = markdown(report("A", {"q1": "", "q2": "cites no gold paper"}, 0.5))
    assert "| judge_faithfulness | not run |" in text
    assert "### q2: q2?" in text and "### q1" not in text


def test_thumbs_down_votes_become_records_to_review() -> None:
    down = Feedback(
        False, "What does it beat?", "Adam [1].", False, [{"n": 1, "paper_id": "spam", "title": "t", "cited": True}]
    )
    down.history = [["What is SPAM?", "An optimizer [1]."]]
    up = Feedback(True, "Fine question?", "Good.", False)
    (record,) = records_from_feedback([down, up])
    assert (record.question, record.history, record.kind, record.gold) == (
        "What does it beat?",
        [["What is SPAM?", "An optimizer [1]."]],
        "feedback",
        [],
    )
    assert "[1] spam" in record.note and "Review" in record.note


def test_generator_labels_records_synthetic_and_skips_non_questions() -> None:
    llm = ScriptedLLM()
    llm.enqueue('Question: "How can 4-bit training stay stable?"')
    llm.enqueue("I cannot do that.")
    papers = [("spam", "Stable-SPAM", "An optimizer for 4-bit training."), ("x", "X", "Something.")]
    (record,) = generate(llm, papers)
    assert record.question == "How can 4-bit training stay stable?"
    assert record.gold == ["spam"] and record.synthetic and record.kind == "synthetic"
    assert "Stable-SPAM" in json.dumps(record.to_dict())


def test_repeated_thumbs_down_questions_get_unique_ids_and_load_as_a_dataset(tmp_path: Path) -> None:
    votes = [Feedback(False, q, "No.", True) for q in ("q1?", "q2?", "q1?", "q3?")]
    records = records_from_feedback(votes)
    assert [r.question for r in records] == ["q1?", "q2?", "q3?"]  # the newest vote on q1 replaced the first
    assert [r.id for r in records] == ["feedback-0001", "feedback-0002", "feedback-0003"]
    write_dataset(records, tmp_path / "feedback.jsonl")
    assert len(load_dataset(tmp_path / "feedback.jsonl")) == 3

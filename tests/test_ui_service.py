"""The service behind the page and the API: date filters, uploads that fail safely, feedback, exposure rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import ConfigError, InputError
from rag.feedback import FeedbackLog
from rag.ingest import ingest
from tests.conftest import run_rag, write_jsonl
from ui.server import check_exposure, credentials
from ui.service import ChatOptions, ChatService

PAPERS = [
    {"id": "a", "title": "Sparse attention", "abstract": "Sparse attention speeds up long documents.", "date": "07-31"},
    {"id": "b", "title": "Dense attention", "abstract": "Dense attention for long documents is slow.", "date": "08-01"},
    {"id": "c", "title": "Protein folding", "abstract": "We fold proteins with diffusion models.", "date": "08-01"},
]


def service_options() -> ChatOptions:
    return ChatOptions(llm="tiny")  # the LLM is never loaded: these tests only retrieve


@pytest.fixture
def service(hash_settings: Settings, tmp_path: Path) -> ChatService:
    data = tmp_path / "papers.jsonl"
    write_jsonl(data, PAPERS)
    assert not ingest([data], hash_settings, progress=False).errors
    return ChatService(hash_settings)


def test_date_filter_keeps_only_papers_listed_on_those_days(service: ChatService) -> None:
    assert service.listing_dates() == ["07-31", "08-01"]
    retriever = service.pipeline(service_options()).retriever
    every = {h.paper_id for h in retriever.search("long documents attention", 3)}
    assert {"a", "b"} <= every
    only = {h.paper_id for h in retriever.search("long documents attention", 3, where=service.where(("08-01",)))}
    assert only == {"b", "c"}
    assert retriever.search("attention", 3, where=service.where(("12-25",))) == []


def test_a_bad_upload_changes_nothing(service: ChatService, tmp_path: Path) -> None:
    before = service.stats()
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"title": "New", "abstract": "A new paper."}) + "\n{oops\n")
    summary = service.add_upload(broken)
    assert summary.errors and "broken.jsonl, line 2" in summary.errors[0]
    assert service.stats()["papers"] == before["papers"] == 3
    assert not list(service.uploads.glob("*broken*"))  # the failed file is not kept
    with pytest.raises(InputError, match="unsupported file type"):
        service.add_upload(tmp_path / "notes.pdf")


def test_a_good_upload_is_searchable_at_once(service: ChatService, tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    new.write_text("title,abstract,date\nQuantum sheep,Quantum sheep graze on entangled meadows.,08-02\n")
    summary = service.add_upload(new)
    assert (summary.added, summary.papers) == (1, 4)
    hits = service.pipeline(service_options()).retriever.search("entangled meadows sheep", 1)
    assert hits[0].title == "Quantum sheep"
    assert "08-02" in service.listing_dates()


def test_votes_are_stored_with_question_answer_and_sources(service: ChatService) -> None:
    answer = {
        "question": "q?",
        "answer": "a [1].",
        "abstained": False,
        "model": "m",
        "sources": [{"n": 1, "paper_id": "a", "title": "Sparse attention", "cited": True, "abstract": "..."}],
    }
    service.vote(False, answer, [("earlier?", "yes [1].")])
    (vote,) = FeedbackLog(service.feedback.path).read()
    assert (vote.liked, vote.question, vote.history) == (False, "q?", [["earlier?", "yes [1]."]])
    assert vote.sources == [{"n": 1, "paper_id": "a", "title": "Sparse attention", "cited": True}]


def test_listening_beyond_loopback_needs_a_login_or_an_explicit_flag() -> None:
    check_exposure("127.0.0.1", None, False)
    check_exposure("0.0.0.0", ("u", "p"), False)
    check_exposure("0.0.0.0", None, True)
    with pytest.raises(ConfigError, match="--allow-open"):
        check_exposure("0.0.0.0", None, False)
    assert credentials({"RAG_UI_USERNAME": "u", "RAG_UI_PASSWORD": "p"}) == ("u", "p")
    with pytest.raises(ConfigError, match="both"):
        credentials({"RAG_UI_USERNAME": "u"})


def test_rag_serve_refuses_an_open_public_address(tmp_path: Path) -> None:
    result = run_rag("serve", "--host", "0.0.0.0", "--port", "1", home=tmp_path, timeout=120)
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0 without a login" in result.stderr

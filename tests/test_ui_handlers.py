"""The chat page's handlers as plain functions: a real index (deterministic embedder) and the scripted LLM."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import bibtexparser
import pytest

from rag.embed import HashEmbedder
from tests.fakes import ScriptedLLM
from tests.test_pipeline import index_papers
from ui import app
from ui.service import ChatService

SPAM = "Which optimizer is more stable than Adam for 4-bit training?"
GNN = "Which dataset do the molecular property experiments use?"
COLLECTIONS = Path(__file__).parent / "fixtures" / "collections"


@pytest.fixture
def service(tmp_path: Path) -> tuple[ChatService, ScriptedLLM]:
    llm = ScriptedLLM()
    return ChatService(index_papers(tmp_path), HashEmbedder(256), llm_factory=lambda _choice: llm), llm


def _ask(service: ChatService, text: str, st: dict) -> tuple:
    *_, last = app.respond(service, text, st, 2, "tiny", "", "", [])
    return last


def test_a_reply_streams_then_lands_in_the_state_with_its_own_sources_panel(service) -> None:  # type: ignore[no-untyped-def]
    chat, llm = service
    llm.enqueue("Stable-SPAM is more stable than Adam under low precision [1].", "Experiments use the QM9 dataset [1].")
    shown = []  # what the reply showed at each update (the same message is updated in place)
    for update in app.respond(chat, SPAM, app.new_state(), 2, "tiny", "", "", []):
        shown.append(str(update[0][-1]["content"]))
    assert any("⏳" in text for text in shown[:-1]) and "⏳" not in shown[-1]  # streamed, then the checked answer
    messages, panel, st, cleared = update
    assert cleared == "" and len(messages) == 2 and "Stable-SPAM" in panel and "of answer 1" in panel
    messages, panel, st, _ = _ask(chat, GNN, st)
    assert "of answer 2" in panel and "Graph networks" in panel
    assert "Stable-SPAM" in app.panel_for(st, 1) and "Graph networks" in app.panel_for(st, 3)  # earlier reply
    assert app.panel_for(st, 9) is None
    assert app.turns(st["answers"])[0][0] == SPAM


def test_an_error_is_shown_in_the_chat_and_is_no_turn(service) -> None:  # type: ignore[no-untyped-def]
    chat, _ = service
    messages, _, st, _ = _ask(chat, "   ", app.new_state())
    assert "the question is empty" in messages[-1]["content"].replace("&#32;", " ")
    assert st["answers"] == [None] and app.turns(st["answers"]) == []


def test_a_vote_records_the_reply_and_the_conversation_before_it(service) -> None:  # type: ignore[no-untyped-def]
    chat, llm = service
    llm.enqueue("Stable-SPAM is more stable than Adam under low precision [1].", "Experiments use the QM9 dataset [1].")
    st = _ask(chat, SPAM, app.new_state())[2]
    st = _ask(chat, GNN, st)[2]
    app.vote(chat, SimpleNamespace(index=3, liked=False), st)
    [vote] = [json.loads(line) for line in chat.feedback.path.read_text().splitlines()]
    assert vote["liked"] is False and vote["question"] == GNN and vote["history"][0][0] == SPAM


def test_an_upload_reports_what_it_added_and_a_bad_file_changes_nothing(service, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chat, _ = service
    good = tmp_path / "new.jsonl"
    good.write_text(json.dumps({"id": "n", "title": "New paper", "abstract": "A new abstract about graphs."}) + "\n")
    message, status, _, cleared = app.add(chat, str(good), progress=lambda *a, **k: None)
    assert "1 papers added" in message and "4 papers" in status and cleared is None
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "title": "X", "abstract": "Fine."}\n{not json\n')
    message, status, _, _ = app.add(chat, str(bad), progress=lambda *a, **k: None)
    assert "was not added" in message and "line 2" in message and "4 papers" in status


def test_a_reference_library_upload_then_a_year_filtered_answer_and_its_bibtex(service) -> None:  # type: ignore[no-untyped-def]
    chat, llm = service
    message, *_ = app.add(chat, str(COLLECTIONS / "zotero.bib"), progress=lambda *a, **k: None)
    assert "3 papers added" in message and "Skipped 1 entries without an abstract" in message
    assert "vaswani" in message.replace("&#95;", "_")
    llm.enqueue("Deep learning learns representations with multiple levels of abstraction [1].")
    question = "What do models with multiple processing layers learn?"
    *_, (_, panel, st, _) = app.respond(chat, question, app.new_state(), 2, "tiny", "", "", [], 2014, 2016)
    [only] = st["answers"][-1]["sources"]  # the year filter leaves the 2015 paper alone
    assert (only["year"], only["doi"], only["cited"]) == (2015, "10.1038/nature14539", True)
    assert 'href="https://doi.org/10.1038/nature14539"' in panel and "Yann LeCun, Yoshua Bengio" in panel
    [entry] = bibtexparser.parse_string(app.cited_bibtex(st)).entries
    assert (entry.key, entry["journal"], entry["year"]) == ("lecun_deep_2015", "Nature", "2015")

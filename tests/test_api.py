"""The OpenAI-compatible request parsing (fast), then real clients against a real server (slow)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rag.embed import HashEmbedder
from tests.conftest import rag_server
from tests.fakes import ScriptedLLM
from tests.test_pipeline import index_papers
from ui import api
from ui.service import ChatService

QUESTION = "Which optimizer makes 4-bit LLM training more stable than Adam?"
SPAM = "Which optimizer is more stable than Adam for 4-bit training?"


@pytest.fixture
def client(tmp_path: Path) -> tuple[TestClient, ScriptedLLM]:
    """The /v1 routes over a real index with the deterministic embedder; the scripted LLM answers."""
    settings = index_papers(tmp_path)
    llm = ScriptedLLM()
    service = ChatService(settings, HashEmbedder(256), llm_factory=lambda _choice: llm)
    app = FastAPI()
    api.install(app, service, auth=("reader", "pw"))
    return TestClient(app, headers={"Authorization": "Bearer pw"}), llm


def test_a_completion_carries_the_checked_answer_and_its_sources(client: tuple[TestClient, ScriptedLLM]) -> None:
    http, llm = client
    llm.enqueue("Stable-SPAM is more stable than Adam under low precision [1].")
    reply = http.post(
        "/v1/chat/completions", json={"model": "paper-rag-tiny", "messages": [{"role": "user", "content": SPAM}]}
    )
    assert reply.status_code == 200
    data = reply.json()
    rag = data["rag"]
    assert data["choices"][0]["message"]["content"] == rag["answer"]
    assert rag["mode"] == "generated" and rag["sources"][0]["paper_id"] == "spam" and rag["sources"][0]["cited"]


def test_a_year_range_filters_the_sources_and_an_empty_one_is_refused(client: tuple[TestClient, ScriptedLLM]) -> None:
    http, llm = client
    body = {"model": "paper-rag-tiny", "messages": [{"role": "user", "content": SPAM}], "since": 2020}
    rag = http.post("/v1/chat/completions", json=body).json()["rag"]
    assert rag["abstained"] and rag["sources"] == []  # the test papers carry no year: none passes the filter
    assert llm.history == []  # the model was never asked
    refused = http.post("/v1/chat/completions", json={**body, "until": 2010})
    assert refused.status_code == 400 and "year range is empty" in refused.json()["error"]["message"]


def test_earlier_turns_are_the_conversation_and_text_parts_are_read(client: tuple[TestClient, ScriptedLLM]) -> None:
    http, llm = client
    llm.enqueue("Which dataset does Stable-SPAM use?", "It uses the C4 dataset [1].")
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "Tell me about Stable-SPAM"},
        {"role": "assistant", "content": "An optimizer [1]."},
        {"role": "user", "content": [{"type": "text", "text": "Which dataset did they use?"}]},
    ]
    rag = http.post("/v1/chat/completions", json={"messages": messages, "temperature": 0.2}).json()["rag"]
    assert rag["query"] == "Which dataset does Stable-SPAM use?"  # rewritten with the conversation
    assert "Last question: Which dataset did they use?" in llm.history[0][-1]["content"]


def test_streaming_ends_with_the_rag_object(client: tuple[TestClient, ScriptedLLM]) -> None:
    http, llm = client
    llm.enqueue("Stable-SPAM is more stable than Adam under low precision [1].")
    body = {"messages": [{"role": "user", "content": SPAM}], "stream": True}
    with http.stream("POST", "/v1/chat/completions", json=body) as reply:
        lines = [line for line in reply.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    final = json.loads(lines[-2].removeprefix("data: "))
    assert final["choices"][0]["finish_reason"] == "stop" and final["rag"]["sources"]
    prompt_words, reply_words = sum(len(m["content"].split()) for m in llm.history[0]), 10
    assert final["usage"] == {
        "prompt_tokens": prompt_words,
        "completion_tokens": reply_words,
        "total_tokens": prompt_words + reply_words,
    }


def test_usage_sums_the_tokens_of_the_rewrite_and_the_answer(client: tuple[TestClient, ScriptedLLM]) -> None:
    http, llm = client
    replies = ("Which dataset does Stable-SPAM use?", "It uses the C4 dataset [1].")
    llm.enqueue(*replies)
    messages = [
        {"role": "user", "content": "Tell me about Stable-SPAM"},
        {"role": "assistant", "content": "An optimizer [1]."},
        {"role": "user", "content": "Which dataset did they use?"},
    ]
    usage = http.post("/v1/chat/completions", json={"messages": messages}).json()["usage"]
    prompt_words = sum(len(m["content"].split()) for call in llm.history for m in call)  # the fake's tokens
    assert len(llm.history) == 2
    reply_words = sum(len(r.split()) for r in replies)
    assert usage == {
        "prompt_tokens": prompt_words,
        "completion_tokens": reply_words,
        "total_tokens": prompt_words + reply_words,
    }


def test_an_answer_refused_before_the_model_costs_no_tokens(client: tuple[TestClient, ScriptedLLM]) -> None:
    http, llm = client
    body = {"messages": [{"role": "user", "content": SPAM}], "since": 2020}
    usage = http.post("/v1/chat/completions", json=body).json()["usage"]
    assert llm.history == [] and usage == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ([], 400, "must be a JSON object"),
        ({"messages": []}, 400, "messages"),
        ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}, 400, "last message"),
        ({"messages": [{"role": "robot", "content": "q"}]}, 400, "role"),
        ({"messages": [{"role": "user", "content": 7}]}, 400, "content"),
        ({"model": "gpt-9", "messages": [{"role": "user", "content": "q"}]}, 404, "unknown model"),
        ({"model": "paper-rag-openai", "messages": [{"role": "user", "content": "q"}]}, 404, "unknown model"),
        ({"messages": [{"role": "user", "content": "   "}]}, 400, "empty"),
        ({"messages": [{"role": "user", "content": "q?"}], "k": 99}, 400, "number of sources"),
    ],
)
def test_bad_requests_are_named_in_openais_error_shape(
    client: tuple[TestClient, ScriptedLLM], body: object, status: int, message: str
) -> None:
    http, _ = client
    reply = http.post("/v1/chat/completions", json=body)
    assert reply.status_code == status
    error = reply.json()["error"]
    assert message in error["message"] and error["type"] == "invalid_request_error"


def test_every_route_wants_the_key(client: tuple[TestClient, ScriptedLLM]) -> None:
    http, _ = client
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}):
        for method, path in (("GET", "/v1/models"), ("POST", "/v1/chat/completions")):
            reply = http.request(method, path, headers=headers, json={"messages": [{"role": "user", "content": "q"}]})
            assert reply.status_code == 401 and "API key" in reply.json()["error"]["message"]
    assert "paper-rag-tiny" in {m["id"] for m in http.get("/v1/models").json()["data"]}


USER, PASSWORD = "reader", "s3cret-pass"


@pytest.fixture(scope="module")
def api_url(seed_home: Path):
    """A real server with a login (so the API wants the password as its key), answering with the tiny model."""
    with rag_server(seed_home, "--llm", "tiny", env={"RAG_UI_USERNAME": USER, "RAG_UI_PASSWORD": PASSWORD}) as url:
        yield url


@pytest.mark.slow
def test_openai_client_plain_and_streaming(api_url: str) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{api_url}/v1", api_key=PASSWORD)
    models = [m.id for m in client.models.list()]
    assert {"paper-rag", "paper-rag-default", "paper-rag-fast", "paper-rag-tiny"} <= set(models)

    reply = client.chat.completions.create(model="paper-rag-tiny", messages=[{"role": "user", "content": QUESTION}])
    rag = reply.model_extra["rag"]
    assert reply.choices[0].message.content == rag["answer"]
    assert rag["sources"] and all({"n", "title", "paper_id", "evidence", "cited"} <= set(s) for s in rag["sources"])
    assert any("Stable-SPAM" in s["title"] for s in rag["sources"])
    # The evidence for this question is strong, so whatever the tiny model writes the reader gets an answer:
    # its own checked one, or the best evidence quoted. Either way every verified marker is in the text.
    assert rag["mode"] in ("generated", "extractive") and rag["abstained"] is False
    cited = {n for s in rag["sentences"] if s["supported"] for n in s["citations"]}
    assert cited and all(f"[{n}]" in rag["answer"] for n in cited)
    assert reply.usage is not None and reply.usage.prompt_tokens > 100 and reply.usage.completion_tokens > 0
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens

    stream = client.chat.completions.create(
        model="paper-rag-tiny", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) > 3 and text.strip()
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert final.model_extra["rag"]["sources"]

    with pytest.raises(openai.BadRequestError, match="empty"):
        client.chat.completions.create(model="paper-rag-tiny", messages=[{"role": "user", "content": "  "}])


@pytest.mark.slow
def test_api_refuses_a_missing_or_wrong_key(api_url: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        request = urllib.request.Request(f"{api_url}/v1/models", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        assert caught.value.code == 401
        assert "API key" in json.loads(caught.value.read())["error"]["message"]


@pytest.mark.slow
def test_gradio_client_asks_through_the_gradio_api(api_url: str) -> None:
    from gradio_client import Client

    client = Client(api_url, auth=(USER, PASSWORD), verbose=False)
    result = client.predict(QUESTION, "tiny", 3, api_name="/ask")
    assert result["question"] == QUESTION
    assert len(result["sources"]) == 3 and any("Stable-SPAM" in s["title"] for s in result["sources"])

"""The OpenAI-compatible request parsing (fast), then real clients against a real server (slow)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import rag_server
from ui.api import ApiError, parse_request

SERVICE = SimpleNamespace(settings=SimpleNamespace(llm=SimpleNamespace(base_url=None)))
QUESTION = "Which optimizer makes 4-bit LLM training more stable than Adam?"


def test_last_user_message_is_the_question_and_pairs_are_history() -> None:
    body = {
        "model": "paper-rag-tiny",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "What is Stable-SPAM?"},
            {"role": "assistant", "content": "An optimizer [1]."},
            {"role": "user", "content": [{"type": "text", "text": "What does it beat?"}]},
        ],
        "stream": True,
        "k": 3,
    }
    question, history, options, stream, model = parse_request(body, SERVICE)
    assert question == "What does it beat?"
    assert history == [("What is Stable-SPAM?", "An optimizer [1].")]
    assert (options.llm, options.k, stream, model) == ("tiny", 3, True, "paper-rag-tiny")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}, "last message"),
        ({"messages": [{"role": "robot", "content": "q"}]}, "role"),
        ({"model": "gpt-9", "messages": [{"role": "user", "content": "q"}]}, "unknown model"),
        ({"model": "paper-rag-openai", "messages": [{"role": "user", "content": "q"}]}, "unknown model"),
    ],
)
def test_bad_requests_are_named(body: object, message: str) -> None:
    with pytest.raises(ApiError, match=message):
        parse_request(body, SERVICE)


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

"""OpenAI-compatible HTTP API: `POST /v1/chat/completions` (plain and streaming) and `GET /v1/models`.

The last user message is the question; earlier user/assistant pairs are the conversation. Besides the standard
fields, every completion carries a `rag` object (checked answer, abstention, sentences with their verified
citations, numbered sources with evidence); when streaming it comes on the final chunk.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, StreamingResponse

from rag.errors import InputError, RagError
from rag.llm import LLM_CHOICES
from rag.results import Answer, Turn
from ui.service import ChatOptions, ChatService

MODEL_PREFIX = "paper-rag"


def model_ids(service: ChatService) -> list[str]:
    """`paper-rag` (the server's default LLM) and `paper-rag-<choice>` for every answer backend."""
    choices = [c for c in LLM_CHOICES if c != "openai" or service.settings.llm.base_url]
    return [MODEL_PREFIX] + [f"{MODEL_PREFIX}-{c}" for c in choices]


def parse_request(body: Any, service: ChatService) -> tuple[str, list[Turn], ChatOptions, bool, str]:
    """(question, history, options, stream, model id) from a chat-completions body, or a 400 error."""
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    model = body.get("model") or MODEL_PREFIX
    if model not in model_ids(service):
        raise _bad(f"unknown model {model!r}; GET /v1/models lists them", status=404, code="model_not_found")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("'messages' must be a non-empty list")
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant", "developer"):
            raise _bad(f"messages[{i}] needs a role of system, user or assistant")
        turns.append((message["role"], _content(message.get("content"), i)))
    if turns[-1][0] != "user":
        raise _bad("the last message must come from the user (it is the question)")
    dialogue = [(role, text) for role, text in turns[:-1] if role in ("user", "assistant")]
    history = [(q, a) for (r1, q), (r2, a) in itertools.pairwise(dialogue) if r1 == "user" and r2 == "assistant"]
    k = body.get("k", 0)
    if not isinstance(k, int):
        raise _bad("'k' must be an integer")
    llm = model.removeprefix(MODEL_PREFIX).lstrip("-")
    return turns[-1][1], history, ChatOptions(llm=llm, k=k), bool(body.get("stream")), model


def _content(content: Any, i: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    raise _bad(f"messages[{i}].content must be a string or a list of text parts")


class ApiError(Exception):
    """An error answered in OpenAI's shape: `{"error": {"message", "type", "code"}}`."""

    def __init__(self, status: int, message: str, kind: str, code: str):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": kind, "code": code}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status)


def _bad(message: str, status: int = 400, code: str = "invalid_request") -> ApiError:
    return ApiError(status, message, "invalid_request_error", code)


def rag_payload(answer: Answer) -> dict[str, Any]:
    """The citation details of an answer, as sent in the `rag` field."""
    data = answer.to_dict()
    keys = ("answer", "mode", "abstained", "reason", "query", "sentences", "sources", "timings")
    return {key: data[key] for key in keys}


def sources_footer(answer: Answer) -> str:
    """Plain-text list of the cited sources, appended to a streamed reply for front ends that show only text."""
    if answer.abstained:
        return f"\n\n{answer.answer} ({answer.reason})"
    lines = ["", "", "Sources:"]
    for source in answer.sources:
        if source.cited:
            lines.append(f"[{source.n}] {source.title}" + (f" {source.url}" if source.url else ""))
    unverified = sum(not s.supported for s in answer.sentences)
    if unverified:
        lines.append(f"({unverified} sentence(s) could not be verified against the sources)")
    return "\n".join(lines)


def router(service: ChatService, auth: tuple[str, str] | None = None) -> APIRouter:
    """The /v1 routes; with `auth`, requests need `Authorization: Bearer <password>`.

    The handlers are plain functions: FastAPI runs them (and iterates streamed replies) in worker threads, so a
    long generation never blocks the event loop; the LLM itself serves one request at a time.
    """

    def check(request: Request) -> None:
        given = request.headers.get("authorization", "")
        if auth is not None and not secrets.compare_digest(given.encode(), f"Bearer {auth[1]}".encode()):
            raise ApiError(401, "missing or wrong API key (send the password as the bearer token)", "auth_error", "401")

    api = APIRouter(prefix="/v1")

    @api.get("/models", response_model=None)
    def models(request: Request) -> dict[str, Any] | JSONResponse:
        try:
            check(request)
        except ApiError as exc:
            return exc.response()
        now = int(time.time())
        data = [{"id": m, "object": "model", "created": now, "owned_by": "paper-rag"} for m in model_ids(service)]
        return {"object": "list", "data": data}

    @api.post("/chat/completions", response_model=None)
    def completions(request: Request, body: Any = Body(None)) -> JSONResponse | StreamingResponse:  # noqa: B008
        try:
            check(request)
            question, history, options, stream, model = parse_request(body, service)
            events = service.stream(question, history, options)
            try:
                first = next(events)  # bad questions and unloadable models fail here, before any byte is sent
                if stream:
                    return StreamingResponse(_sse(first, events, model), media_type="text/event-stream")
                return JSONResponse(_completion(first, events, model))
            except InputError as exc:
                raise _bad(str(exc)) from None
            except RagError as exc:  # no index, an LLM that cannot load or an endpoint that fails
                raise ApiError(503, str(exc), "server_error", "unavailable") from None
        except ApiError as exc:
            return exc.response()

    return api


def _completion(first: Any, events: Iterator[Any], model: str) -> dict[str, Any]:
    answer = next(e.answer for e in itertools.chain([first], events) if e.kind == "answer")
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "rag": rag_payload(answer),
    }


def _sse(first: Any, events: Iterator[Any], model: str) -> Iterator[str]:
    base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk", "created": int(time.time())}

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return "data: " + json.dumps({**base, "model": model, "choices": [choice], **extra}) + "\n\n"

    yield chunk({"role": "assistant", "content": ""})
    try:
        for event in itertools.chain([first], events):
            if event.kind == "token":
                yield chunk({"content": event.text})
            elif event.kind == "answer":
                answer = event.answer
                if not answer.raw_answer:  # abstained before generating: say so as the content
                    yield chunk({"content": answer.answer})
                yield chunk(
                    {"content": sources_footer(answer) if answer.raw_answer else ""}, "stop", rag=rag_payload(answer)
                )
    except RagError as exc:  # mid-stream failure (e.g. the LLM endpoint went away): report it in-band
        yield "data: " + json.dumps({"error": {"message": str(exc), "type": "server_error"}}) + "\n\n"
    yield "data: [DONE]\n\n"

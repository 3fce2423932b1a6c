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
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag.cite import reference
from rag.errors import InputError, RagError
from rag.llm import LLM_CHOICES
from rag.results import Answer, Turn
from ui.service import ChatOptions, ChatService

MODEL_PREFIX = "paper-rag"


def model_ids(service: ChatService) -> list[str]:
    """`paper-rag` (the server's default LLM) and `paper-rag-<choice>` for every answer backend."""
    choices = [c for c in LLM_CHOICES if c != "openai" or service.settings.llm.base_url]
    return [MODEL_PREFIX] + [f"{MODEL_PREFIX}-{c}" for c in choices]


class TextPart(BaseModel):
    """One part of a multi-part message; only text parts are read."""

    type: str
    text: str = ""


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return " ".join(part.text for part in self.content if part.type == "text")


class ChatRequest(BaseModel):
    """The fields of OpenAI's chat-completions body this server reads (others, such as temperature, are ignored),
    plus `k`, the number of sources, and `since` / `until`, the range of publication years."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    k: int = 0
    since: int | None = None
    until: int | None = None


def parse_request(body: ChatRequest, service: ChatService) -> tuple[str, list[Turn], ChatOptions, str]:
    """(question, history, options, model id) from a valid body, or an ApiError for what the schema cannot say."""
    model = body.model or MODEL_PREFIX
    if model not in model_ids(service):
        raise _bad(f"unknown model {model!r}; GET /v1/models lists them", status=404, code="model_not_found")
    turns = [(m.role, m.text()) for m in body.messages]
    if turns[-1][0] != "user":
        raise _bad("the last message must come from the user (it is the question)")
    dialogue = [(role, text) for role, text in turns[:-1] if role in ("user", "assistant")]
    history = [(q, a) for (r1, q), (r2, a) in itertools.pairwise(dialogue) if r1 == "user" and r2 == "assistant"]
    llm = model.removeprefix(MODEL_PREFIX).lstrip("-")
    options = ChatOptions(llm=llm, k=body.k, since=body.since, until=body.until)
    return turns[-1][1], history, options, model


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
            if cited_as := reference(source):
                lines.append(f"    {cited_as}")
    unverified = sum(not s.supported for s in answer.sentences)
    if unverified:
        lines.append(f"({unverified} sentence(s) could not be verified against the sources)")
    return "\n".join(lines)


def install(app: FastAPI, service: ChatService, auth: tuple[str, str] | None = None) -> None:
    """Add the /v1 routes to `app`, with errors in OpenAI's shape (bad bodies, a wrong key, failures)."""
    app.include_router(router(service, auth))

    @app.exception_handler(ApiError)
    def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": ("body",), "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"][1:]) or "body"
        what = "must be a JSON object" if first.get("type") == "model_attributes_type" else first["msg"]
        return _bad(f"{where}: {what}").response()


def router(service: ChatService, auth: tuple[str, str] | None = None) -> APIRouter:
    """The /v1 routes; with `auth`, every route needs `Authorization: Bearer <password>` (a dependency).

    The handlers are plain functions: FastAPI runs them (and iterates streamed replies) in worker threads, so a
    long generation never blocks the event loop; the LLM itself serves one request at a time.
    """

    def require_key(request: Request) -> None:
        given = request.headers.get("authorization", "")
        if auth is not None and not secrets.compare_digest(given.encode(), f"Bearer {auth[1]}".encode()):
            raise ApiError(401, "missing or wrong API key (send the password as the bearer token)", "auth_error", "401")

    api = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])

    @api.get("/models")
    def models() -> dict[str, Any]:
        now = int(time.time())
        data = [{"id": m, "object": "model", "created": now, "owned_by": "paper-rag"} for m in model_ids(service)]
        return {"object": "list", "data": data}

    @api.post("/chat/completions", response_model=None)
    def completions(body: ChatRequest) -> JSONResponse | StreamingResponse:
        question, history, options, model = parse_request(body, service)
        events = service.stream(question, history, options)
        try:
            first = next(events)  # bad questions and unloadable models fail here, before any byte is sent
            if body.stream:
                return StreamingResponse(_sse(first, events, model), media_type="text/event-stream")
            return JSONResponse(_completion(first, events, model))
        except InputError as exc:
            raise _bad(str(exc)) from None
        except RagError as exc:  # no index, an LLM that cannot load or an endpoint that fails
            raise ApiError(503, str(exc), "server_error", "unavailable") from None

    return api


def _completion(first: Any, events: Iterator[Any], model: str) -> dict[str, Any]:
    answer = next(e.answer for e in itertools.chain([first], events) if e.kind == "answer")
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer}, "finish_reason": "stop"}],
        "usage": usage(answer),
        "rag": rag_payload(answer),
    }


def usage(answer: Any) -> dict[str, int]:
    """OpenAI's `usage` object: the tokens of every LLM call the answer made (none when it abstained first)."""
    u = answer.usage
    return {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens, "total_tokens": u.total_tokens}


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
                    {"content": sources_footer(answer) if answer.raw_answer else ""},
                    "stop",
                    rag=rag_payload(answer),
                    usage=usage(answer),
                )
    except RagError as exc:  # mid-stream failure (e.g. the LLM endpoint went away): report it in-band
        yield "data: " + json.dumps({"error": {"message": str(exc), "type": "server_error"}}) + "\n\n"
    yield "data: [DONE]\n\n"

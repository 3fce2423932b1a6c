"""llama-index as the product's public face: a retriever, a query engine, a chat engine and an LLM adapter.

The core stays ours (paper-grouped hybrid retrieval, checked citations); these classes show it the way
llama-index users expect, so it plugs into their apps, agents (`QueryEngineTool`) and evaluations
(`RetrieverEvaluator`, the response evaluators). This is the only module of `rag/` that imports llama-index,
and nothing here touches the global `llama_index.core.Settings`: every object gets what it needs passed in.

    engine = PaperQueryEngine.from_settings(Settings.from_env())
    response = engine.query("Which optimizer makes 4-bit training stable?")
    response.source_nodes[0].node.metadata["title"], response.metadata["mode"]
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator, Generator, Iterator, Sequence
from dataclasses import asdict
from typing import Any

from llama_index.core import llms as li_llms
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
from llama_index.core.base.response.schema import Response, StreamingResponse
from llama_index.core.callbacks import CallbackManager
from llama_index.core.chat_engine.types import AgentChatResponse, BaseChatEngine, StreamingAgentChatResponse
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import Field

from rag.config import Settings
from rag.llm import LLM, Message
from rag.pipeline import Pipeline
from rag.results import Answer, Source, Turn, Usage
from rag.retrieve import Retriever

EVIDENCE_SENTENCES = 3  # evidence sentences a retrieved node carries in its metadata
HIDDEN = ["paper_id", "dates", "authors", "url", "year", "venue", "doi", "evidence", "n", "cited"]


def paper_node(source: Source) -> NodeWithScore:
    """One paper as a llama-index node: its id is the paper id, its text the title and abstract, its metadata the
    bibliographic fields and the evidence sentences (best first)."""
    evidence = [e.text for e in sorted(source.evidence, key=lambda e: -e.score)[:EVIDENCE_SENTENCES]]
    node = TextNode(
        id_=source.paper_id,
        text=f"{source.title}\n{source.abstract}" if source.title else source.abstract,
        metadata={
            "n": source.n,
            "paper_id": source.paper_id,
            "title": source.title,
            "dates": list(source.dates),
            "authors": source.authors,
            "url": source.url,
            "year": source.year,
            "venue": source.venue,
            "doi": source.doi,
            "evidence": evidence,
            "cited": source.cited,
        },
        excluded_embed_metadata_keys=HIDDEN,
        excluded_llm_metadata_keys=HIDDEN,
    )
    return NodeWithScore(node=node, score=source.score)


def answer_metadata(answer: Answer) -> dict[str, Any]:
    """What a Response's `metadata` carries: the mode, the checked sentences and which sources each cites."""
    return {
        "mode": answer.mode,
        "abstained": answer.abstained,
        "reason": answer.reason,
        "query": answer.query,
        "sentences": [asdict(s) for s in answer.sentences],
        "citations": [{"text": s.text, "sources": list(s.citations)} for s in answer.sentences],
        "cited_papers": [s.paper_id for s in answer.sources if s.cited],
        "timings": dict(answer.timings),
    }


def to_response(answer: Answer) -> Response:
    """A checked Answer as a llama-index Response (source nodes numbered as the answer's [n] markers)."""
    return Response(answer.answer, [paper_node(s) for s in answer.sources], answer_metadata(answer))


class LlamaIndexLLM:
    """Any llama-index `LLM` (Ollama, vLLM, Anthropic, Bedrock, ... through their integrations) as the answering
    model. Sampling settings (temperature, max tokens) are the LLM object's own."""

    def __init__(self, llm: li_llms.LLM, capable: bool = True):
        self.llm = llm
        self.capable = capable
        self.name = llm.metadata.model_name or type(llm).__name__

    def stream(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float = 0.0,
        purpose: str = "answer",
        usage: Usage | None = None,
    ) -> Iterator[str]:
        """The LLM's reply; llama-index LLMs report no token counts in one shape, so `usage` is left as it is."""
        chat = [ChatMessage(role=MessageRole(m["role"]), content=m["content"]) for m in messages]
        for part in self.llm.stream_chat(chat):
            if part.delta:
                yield part.delta

    def keep_prefix(self, prefix: list[Message]) -> None:
        """Nothing to do here: the wrapped LLM caches prefixes by itself, if it does."""


def answering_llm(llm: LLM | li_llms.LLM | None) -> LLM | None:
    """Our LLM interface for what the caller passed: a llama-index LLM is wrapped, ours is used as it is."""
    return LlamaIndexLLM(llm) if isinstance(llm, li_llms.LLM) else llm


class PaperRetriever(BaseRetriever):
    """Hybrid (dense + BM25) retrieval that returns one node per paper, best first."""

    def __init__(self, retriever: Retriever, k: int | None = None, where: dict | None = None):
        super().__init__(callback_manager=CallbackManager([]))
        self.retriever, self.k, self.where = retriever, k, where

    @classmethod
    def from_settings(cls, settings: Settings, k: int | None = None, where: dict | None = None) -> PaperRetriever:
        return cls(Retriever(settings), k, where)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [paper_node(s) for s in self.retriever.search(query_bundle.query_str, self.k, where=self.where)]


class PaperQueryEngine(CustomQueryEngine):
    """The one answering path as a query engine: `query()` returns a Response whose `source_nodes` are the numbered
    sources and whose `metadata` holds the checked sentences and citations. With `streaming=True` it returns a
    StreamingResponse: the model's text as it comes, then (once consumed) the checked answer in `response_txt`,
    the sources and the metadata."""

    pipeline: Pipeline
    k: int | None = None
    where: dict | None = None
    streaming: bool = False
    callback_manager: CallbackManager = Field(default_factory=lambda: CallbackManager([]), exclude=True)

    @classmethod
    def from_settings(cls, settings: Settings, llm: LLM | li_llms.LLM | None = None, **kwargs: Any) -> PaperQueryEngine:
        """An engine over the index the settings name; `llm` may be any llama-index LLM (default: the settings')."""
        return cls(pipeline=Pipeline(settings, llm=answering_llm(llm)), **kwargs)

    def custom_query(self, query_str: str) -> Response | StreamingResponse:
        if self.streaming:
            return _streaming_response(self.pipeline, query_str, [], self.k, self.where)
        return to_response(self.pipeline.ask(query_str, k=self.k, where=self.where))


def _streaming_response(
    pipeline: Pipeline, question: str, history: list[Turn], k: int | None, where: dict | None
) -> StreamingResponse:
    response = StreamingResponse(response_gen=iter(()), source_nodes=[], metadata={})

    def tokens() -> Generator[str, None, None]:
        for event in pipeline.stream(question, history, k=k, where=where):
            if event.kind == "token":
                yield event.text
            elif event.kind == "answer" and event.answer is not None:
                final = to_response(event.answer)
                response.source_nodes.extend(final.source_nodes)
                response.metadata.update(final.metadata or {})
                response.response_txt = final.response

    response.response_gen = tokens()
    return response


class PaperChatEngine(BaseChatEngine):
    """Conversations over the papers: follow-ups ("what dataset did it use?") are resolved against the earlier
    turns, as on the chat page. `chat()` and `stream_chat()`; the history holds the checked answers."""

    def __init__(self, pipeline: Pipeline, k: int | None = None, where: dict | None = None):
        self.pipeline, self.k, self.where = pipeline, k, where
        self._turns: list[Turn] = []

    @classmethod
    def from_settings(cls, settings: Settings, llm: LLM | li_llms.LLM | None = None, **kwargs: Any) -> PaperChatEngine:
        return cls(Pipeline(settings, llm=answering_llm(llm)), **kwargs)

    @property
    def chat_history(self) -> list[ChatMessage]:
        messages = []
        for question, answer in self._turns:
            messages += [ChatMessage(role=MessageRole.USER, content=question)]
            messages += [ChatMessage(role=MessageRole.ASSISTANT, content=answer)]
        return messages

    def reset(self) -> None:
        self._turns.clear()

    def _history(self, chat_history: Sequence[ChatMessage] | None) -> list[Turn]:
        if chat_history is None:
            return list(self._turns)
        texts = [(m.role, m.content or "") for m in chat_history]
        return [(q, a) for (r1, q), (r2, a) in itertools.pairwise(texts) if r1 == "user" and r2 == "assistant"]

    def chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        answer = self.pipeline.ask(message, self._history(chat_history), k=self.k, where=self.where)
        self._turns.append((message, answer.answer))
        response = to_response(answer)
        return AgentChatResponse(
            response.response or "", source_nodes=response.source_nodes, metadata=response.metadata
        )

    def stream_chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> StreamingAgentChatResponse:
        reply = StreamingAgentChatResponse(is_writing_to_memory=False)
        reply.chat_stream = self._deltas(reply, message, self._history(chat_history))
        return reply

    async def achat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        return self.chat(message, chat_history)

    async def astream_chat(
        self, message: str, chat_history: list[ChatMessage] | None = None
    ) -> StreamingAgentChatResponse:
        """As `stream_chat`, read with `async_response_gen()` (the model itself runs synchronously)."""
        reply = StreamingAgentChatResponse(is_writing_to_memory=False)
        deltas = self._deltas(reply, message, self._history(chat_history))

        async def in_turn() -> AsyncGenerator[ChatResponse, None]:
            for delta in deltas:
                yield delta

        reply.achat_stream = in_turn()
        return reply

    def _deltas(
        self, reply: StreamingAgentChatResponse, message: str, history: list[Turn]
    ) -> Generator[ChatResponse, None, None]:
        """The model's text as chat deltas; at the end the reply gets its sources and the checked answer, and the
        turn joins the history."""
        text = ""
        for event in self.pipeline.stream(message, history, k=self.k, where=self.where):
            if event.kind == "token":
                text += event.text
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=event.text)
            elif event.kind == "answer" and event.answer is not None:
                reply.source_nodes.extend(paper_node(s) for s in event.answer.sources)
                reply.response = event.answer.answer
                self._turns.append((message, event.answer.answer))

"""llama-index as the public face, exercised through llama-index itself: a real Chroma index with the
deterministic embedder, and the scripted LLM (or one written against llama-index's own CustomLLM)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import llama_index.core
import pytest
from llama_index.core.base.response.schema import Response
from llama_index.core.chat_engine.types import StreamingAgentChatResponse
from llama_index.core.evaluation import RetrieverEvaluator
from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
from llama_index.core.tools import QueryEngineTool
from pydantic import Field

from rag.config import Settings
from rag.llamaindex import PaperChatEngine, PaperQueryEngine, PaperRetriever
from tests.fakes import ScriptedLLM
from tests.test_pipeline import index_papers

SPAM = "Which optimizer is more stable than Adam for 4-bit training?"
SPAM_ANSWER = "Stable-SPAM is more stable than Adam under low precision [1]."


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return index_papers(tmp_path)


class EchoSourcesLLM(CustomLLM):
    """A llama-index LLM (as an Ollama or Bedrock integration would be) that answers from what it is shown."""

    prompts: list[str] = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="echo-sources", is_chat_model=False)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        return CompletionResponse(text=SPAM_ANSWER)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Iterator[CompletionResponse]:
        self.prompts.append(prompt)
        text = ""
        for word in SPAM_ANSWER.split(" "):
            text += (" " if text else "") + word
            yield CompletionResponse(text=text, delta=(" " if text != word else "") + word)


def test_retriever_returns_one_node_per_paper_with_its_metadata(settings: Settings) -> None:
    nodes = PaperRetriever.from_settings(settings, k=3).retrieve(SPAM)
    assert nodes[0].node.node_id == "spam"
    assert len({n.node.node_id for n in nodes}) == len(nodes) == 3
    meta = nodes[0].node.metadata
    assert meta["title"] == "Stable-SPAM: stable 4-bit training" and meta["n"] == 1
    assert meta["evidence"] and all(sentence in nodes[0].node.get_content() for sentence in meta["evidence"])
    assert nodes[0].score >= nodes[1].score


def test_query_engine_returns_a_response_with_numbered_sources_and_checked_citations(settings: Settings) -> None:
    engine = PaperQueryEngine.from_settings(settings, llm=ScriptedLLM([SPAM_ANSWER]))
    response = engine.query(SPAM)
    assert isinstance(response, Response)
    assert response.response == "Stable-SPAM is more stable than Adam under low precision [1]."
    assert [n.node.metadata["n"] for n in response.source_nodes] == [1, 2]
    assert response.metadata["mode"] == "generated"
    assert response.metadata["citations"] == [
        {"text": "Stable-SPAM is more stable than Adam under low precision.", "sources": [1]}
    ]
    cited = [n.node.node_id for n in response.source_nodes if n.node.metadata["cited"]]
    assert cited == response.metadata["cited_papers"] == ["spam"]


def test_any_llama_index_llm_can_answer(settings: Settings) -> None:
    llm = EchoSourcesLLM()
    response = PaperQueryEngine.from_settings(settings, llm=llm).query(SPAM)
    assert "Stable-SPAM: stable 4-bit training" in llm.prompts[-1]  # it was shown the numbered sources
    assert response.metadata["mode"] == "generated" and response.metadata["cited_papers"] == ["spam"]


def test_streaming_query_gives_tokens_then_the_checked_answer(settings: Settings) -> None:
    engine = PaperQueryEngine.from_settings(
        settings, llm=ScriptedLLM([SPAM_ANSWER + " Pizza is tasty [2]."]), streaming=True
    )
    response = engine.query(SPAM)
    streamed = "".join(response.response_gen)
    assert streamed == SPAM_ANSWER + " Pizza is tasty [2]."
    assert response.response_txt.endswith("Pizza is tasty [unverified].")
    assert response.source_nodes and response.metadata["mode"] == "generated"


def test_chat_engine_resolves_follow_ups_and_streams(settings: Settings) -> None:
    llm = ScriptedLLM([SPAM_ANSWER, "Which dataset does Stable-SPAM use?", "It is evaluated on the C4 dataset [1]."])
    chat = PaperChatEngine.from_settings(settings, llm=llm)
    first = chat.chat(SPAM)
    assert first.source_nodes[0].node.node_id == "spam"
    reply = chat.stream_chat("Which dataset did it use?")
    assert "".join(reply.response_gen) == "It is evaluated on the C4 dataset [1]."
    assert reply.response == "It is evaluated on the C4 dataset [1]." and reply.source_nodes[0].node.node_id == "spam"
    assert "Stable-SPAM" in llm.history[1][-1]["content"]  # the rewrite saw the earlier turn
    assert [m.role.value for m in chat.chat_history] == ["user", "assistant", "user", "assistant"]
    chat.reset()
    assert chat.chat_history == []


def test_async_chat_streams_too(settings: Settings) -> None:
    chat = PaperChatEngine.from_settings(settings, llm=ScriptedLLM([SPAM_ANSWER]))

    async def consume() -> tuple[str, StreamingAgentChatResponse]:
        reply = await chat.astream_chat(SPAM)
        return "".join([delta async for delta in reply.async_response_gen()]), reply

    streamed, reply = asyncio.run(consume())
    assert streamed == SPAM_ANSWER and reply.response == SPAM_ANSWER
    assert reply.source_nodes[0].node.node_id == "spam" and len(chat.chat_history) == 2


def test_query_engine_works_as_an_agent_tool(settings: Settings) -> None:
    engine = PaperQueryEngine.from_settings(settings, llm=ScriptedLLM([SPAM_ANSWER]))
    tool = QueryEngineTool.from_defaults(engine, name="papers", description="Answers from paper abstracts.")
    output = tool.call(SPAM)
    assert output.content == SPAM_ANSWER
    assert output.raw_output.source_nodes[0].node.node_id == "spam"


def test_retriever_evaluator_scores_paper_retriever(settings: Settings) -> None:
    evaluator = RetrieverEvaluator.from_metric_names(
        ["hit_rate", "mrr"], retriever=PaperRetriever.from_settings(settings)
    )
    result = evaluator.evaluate(SPAM, expected_ids=["spam"])
    assert result.metric_vals_dict == {"hit_rate": 1.0, "mrr": 1.0}


def test_nothing_touches_llama_index_global_settings(settings: Settings) -> None:
    PaperQueryEngine.from_settings(settings, llm=ScriptedLLM([SPAM_ANSWER])).query(SPAM)
    PaperRetriever.from_settings(settings).retrieve(SPAM)
    globals_ = llama_index.core.Settings
    assert globals_._llm is None and globals_._embed_model is None and globals_._callback_manager is None

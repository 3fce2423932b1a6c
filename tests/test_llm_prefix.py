"""The answer prompt's fixed prefix stays in llama.cpp's KV cache across questions (real tiny model)."""

from __future__ import annotations

import pytest

from rag import prompts
from rag.llm import LlamaCppLLM
from rag.models import model_path
from rag.results import Usage

pytestmark = pytest.mark.slow


def _question(topic: str) -> list[dict[str, str]]:
    user = prompts.ANSWER_USER.format(
        sources=f"[1] A paper on {topic}\nWe study {topic}.", question=f"What is {topic}?"
    )
    return [*prompts.ANSWER_PREFIX, {"role": "user", "content": user}]


def test_the_second_question_evaluates_only_what_follows_the_cached_prefix() -> None:
    llm = LlamaCppLLM(model_path("tiny"), "tiny", n_ctx=2048, threads=None, capable=False)  # a fresh context
    assert llm.build in ("avx512", "portable") or llm.build.startswith("LLAMA_CPP_LIB_PATH")
    list(llm.stream(_question("graph pooling"), max_tokens=4))
    first = llm.last_prompt_tokens
    rewrite = [{"role": "system", "content": prompts.CONDENSE_SYSTEM}, {"role": "user", "content": "Rewrite: it?"}]
    list(llm.stream(rewrite, max_tokens=4, purpose="rewrite"))  # a follow-up rewrite in between
    list(llm.stream(_question("image denoising"), max_tokens=4))
    second = llm.last_prompt_tokens
    prefix = len(llm.model.tokenize(prompts.ANSWER_SYSTEM.encode() + prompts.EXAMPLE_USER.encode()))
    assert first > prefix  # the first question evaluates the prefix too
    assert second < first - prefix // 2  # the second one reuses it: the rewrite did not evict it


def test_usage_counts_the_whole_prompt_and_the_reply_even_when_the_prefix_was_cached() -> None:
    llm = LlamaCppLLM(model_path("tiny"), "tiny", n_ctx=2048, threads=None, capable=False)
    cold, warm = Usage(), Usage()
    list(llm.stream(_question("graph pooling"), max_tokens=6, usage=cold))
    evaluated_cold = llm.last_prompt_tokens
    reply = "".join(llm.stream(_question("graph pooling"), max_tokens=6, usage=warm))
    assert cold.prompt_tokens == evaluated_cold  # nothing was cached yet: every prompt token was evaluated
    assert warm.prompt_tokens == cold.prompt_tokens > llm.last_prompt_tokens  # billed whole, evaluated in part
    assert 1 <= warm.completion_tokens <= 6
    assert warm.completion_tokens >= len(llm.model.tokenize(reply.encode(), add_bos=False)) - 1


def _ask(llm: LlamaCppLLM) -> str:
    return "".join(llm.stream(_question("graph pooling"), max_tokens=12))


def test_a_kept_prefix_is_saved_once_and_loaded_by_the_next_process(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path))
    cold = LlamaCppLLM(model_path("tiny"), "tiny", n_ctx=2048, threads=None, capable=False)
    reply = _ask(cold)  # no prefix kept: the whole prompt is evaluated
    whole = cold.last_prompt_tokens

    first = LlamaCppLLM(model_path("tiny"), "tiny", n_ctx=2048, threads=None, capable=False)
    first.keep_prefix(prompts.ANSWER_PREFIX)
    assert first.prefix_source == "evaluated"
    assert _ask(first) == reply
    assert [p.suffix for p in (tmp_path / "kv").iterdir()] == [".state"]  # saved, and no partial file left

    later = LlamaCppLLM(model_path("tiny"), "tiny", n_ctx=2048, threads=None, capable=False)  # as a new process
    later.keep_prefix(prompts.ANSWER_PREFIX)
    assert later.prefix_source == "file"
    assert _ask(later) == reply  # the loaded state answers exactly as a cold evaluation
    prefix = len(later.model.tokenize(prompts.ANSWER_SYSTEM.encode() + prompts.EXAMPLE_USER.encode()))
    assert later.last_prompt_tokens == first.last_prompt_tokens < whole - prefix // 2


def test_a_state_file_that_does_not_load_is_ignored_and_rewritten(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path))
    first = LlamaCppLLM(model_path("tiny"), "tiny", n_ctx=2048, threads=None, capable=False)
    first.keep_prefix(prompts.ANSWER_PREFIX)
    reply = _ask(first)
    (state,) = (tmp_path / "kv").iterdir()
    state.write_bytes(b"not a llama.cpp state" * 100)

    later = LlamaCppLLM(model_path("tiny"), "tiny", n_ctx=2048, threads=None, capable=False)
    later.keep_prefix(prompts.ANSWER_PREFIX)
    assert later.prefix_source == "evaluated"
    assert _ask(later) == reply
    assert state.stat().st_size > 100_000  # a real state again


def test_an_unwritable_cache_costs_only_the_saving(tmp_path, monkeypatch) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("RAG_MODEL_CACHE", str(blocked))
    llm = LlamaCppLLM(model_path("tiny"), "tiny", n_ctx=2048, threads=None, capable=False)
    llm.keep_prefix(prompts.ANSWER_PREFIX)
    assert llm.prefix_source == "evaluated"
    assert _ask(llm).strip()


def test_a_question_is_answered_the_same_whatever_was_asked_before_it() -> None:
    llm = LlamaCppLLM(model_path("tiny"), "tiny", n_ctx=2048, threads=None, capable=False)
    llm.keep_prefix(prompts.ANSWER_PREFIX)
    first = "".join(llm.stream(_question("graph pooling"), max_tokens=12))
    evaluated = llm.last_prompt_tokens
    list(llm.stream(_question("graph denoising"), max_tokens=12))  # shares more than the prefix with both
    again = "".join(llm.stream(_question("graph pooling"), max_tokens=12))
    assert llm.last_prompt_tokens == evaluated  # from the end of the kept prefix, as the first time
    assert again == first

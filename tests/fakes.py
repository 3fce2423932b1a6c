"""Test doubles that still mean something: a scripted LLM that records what it was asked."""

from __future__ import annotations

from collections.abc import Iterator

from rag.results import Usage


class ScriptedLLM:
    """Replies with queued texts, in order, streaming them word by word; keeps every prompt in `history`."""

    def __init__(self, replies: list[str] | None = None, capable: bool = True, name: str = "scripted"):
        self.replies = list(replies or [])
        self.history: list[list[dict[str, str]]] = []
        self.kept: list[list[dict[str, str]]] = []
        self.capable = capable
        self.name = name

    def keep_prefix(self, prefix: list[dict[str, str]]) -> None:
        """Records the prefix it was asked to keep."""
        self.kept.append(prefix)

    def enqueue(self, *replies: str) -> ScriptedLLM:
        self.replies.extend(replies)
        return self

    def stream(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        temperature: float = 0.0,
        purpose: str = "answer",
        usage: Usage | None = None,
    ) -> Iterator[str]:
        """The next scripted reply, word by word; a word counts as a token (prompt words too) in `usage`."""
        self.history.append(messages)
        if not self.replies:
            raise AssertionError("ScriptedLLM was called more often than scripted")
        reply = self.replies.pop(0)
        words = reply.split(" ")
        for i, word in enumerate(words):
            yield word if i == 0 else " " + word
        if usage is not None:
            usage.prompt_tokens += sum(len(m["content"].split()) for m in messages)
            usage.completion_tokens += len(words)

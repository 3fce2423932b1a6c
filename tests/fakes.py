"""Test doubles that still mean something: a scripted LLM that records what it was asked."""

from __future__ import annotations

from collections.abc import Iterator


class ScriptedLLM:
    """Replies with queued texts, in order, streaming them word by word; keeps every prompt in `history`."""

    def __init__(self, replies: list[str] | None = None, capable: bool = True, name: str = "scripted"):
        self.replies = list(replies or [])
        self.history: list[list[dict[str, str]]] = []
        self.capable = capable
        self.name = name

    def enqueue(self, *replies: str) -> ScriptedLLM:
        self.replies.extend(replies)
        return self

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, temperature: float = 0.0, purpose: str = "answer"
    ) -> Iterator[str]:
        self.history.append(messages)
        if not self.replies:
            raise AssertionError("ScriptedLLM was called more often than scripted")
        reply = self.replies.pop(0)
        for i, word in enumerate(reply.split(" ")):
            yield word if i == 0 else " " + word

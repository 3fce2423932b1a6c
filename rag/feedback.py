"""Thumbs-up/down on answers, appended to a local JSON Lines file that the evaluation harness reads.

One line per vote: time, vote, question, earlier turns, the answer as shown, and its numbered sources.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import InputError


@dataclass
class Feedback:
    """One vote on one answer."""

    liked: bool
    question: str
    answer: str
    abstained: bool
    sources: list[dict[str, Any]] = field(default_factory=list)  # n, paper_id, title, cited
    history: list[list[str]] = field(default_factory=list)  # earlier [question, answer] turns
    model: str = ""
    time: str = ""

    @classmethod
    def from_answer(cls, liked: bool, answer: dict[str, Any], history: list[list[str]] | None = None) -> Feedback:
        """A vote on an `Answer.to_dict()`."""
        return cls(
            liked=liked,
            question=answer["question"],
            answer=answer["answer"],
            abstained=bool(answer["abstained"]),
            sources=[
                {"n": s["n"], "paper_id": s["paper_id"], "title": s["title"], "cited": s["cited"]}
                for s in answer.get("sources", [])
            ],
            history=[list(turn) for turn in history or []],
            model=answer.get("model", ""),
            time=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )


class FeedbackLog:
    """Append-only JSONL file; one writer lock per process, one whole line per write."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def add(self, feedback: Feedback) -> None:
        line = json.dumps(asdict(feedback), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    def read(self) -> list[Feedback]:
        """Every vote; a line that is not a vote is an InputError naming its line."""
        if not self.path.exists():
            return []
        votes = []
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                votes.append(Feedback(**json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise InputError(f"not a feedback record ({exc})", self.path, number) from None
        return votes

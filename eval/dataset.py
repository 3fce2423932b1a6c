"""Evaluation datasets: JSON Lines of questions with the papers that answer them.

A record: `id`, `question`, `answerable`, `gold` (paper ids), optional `reference_answer`, `must_mention` (facts a
correct answer contains; `a|b` means either spelling), `history` (earlier [question, answer] turns), `kind`
(single, multi, follow-up, unanswerable, synthetic, feedback) and `synthetic` (written by an LLM, not checked).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import InputError

DATASETS = Path(__file__).resolve().parent / "datasets"
DEV = DATASETS / "dev.jsonl"  # tuned on
TEST = DATASETS / "test.jsonl"  # held out: written before any tuning, never tuned on


@dataclass
class Record:
    """One evaluation question."""

    id: str
    question: str
    answerable: bool
    gold: list[str] = field(default_factory=list)
    reference_answer: str | None = None
    must_mention: list[str] = field(default_factory=list)
    history: list[list[str]] = field(default_factory=list)
    kind: str = ""
    synthetic: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], "", False) or k == "answerable"}


def parse_record(data: Any, path: Path, line: int) -> Record:
    """A Record from one decoded JSON line, or an InputError naming what is wrong."""
    if not isinstance(data, dict):
        raise InputError("a record must be a JSON object", path, line)
    for key in ("id", "question"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise InputError(f"'{key}' must be a non-empty string", path, line)
    if not isinstance(data.get("answerable"), bool):
        raise InputError("'answerable' must be true or false", path, line)
    gold = data.get("gold", [])
    if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
        raise InputError("'gold' must be a list of paper ids", path, line)
    history = data.get("history", [])
    if not isinstance(history, list) or not all(isinstance(t, list) and len(t) == 2 for t in history):
        raise InputError("'history' must be a list of [question, answer] pairs", path, line)
    unknown = set(data) - {f for f in Record.__dataclass_fields__}
    if unknown:
        raise InputError(f"unknown field(s): {', '.join(sorted(unknown))}", path, line)
    return Record(**data)


def load_dataset(path: Path) -> list[Record]:
    """All records of a JSONL file; ids must be unique."""
    if not path.is_file():
        raise InputError("dataset file not found", path)
    records: list[Record] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise InputError(f"not valid JSON ({exc})", path, number) from None
        record = parse_record(data, path, number)
        if record.id in seen:
            raise InputError(f"duplicate id {record.id!r}", path, number)
        seen.add(record.id)
        records.append(record)
    if not records:
        raise InputError("the dataset is empty", path)
    return records


def write_dataset(records: list[Record], path: Path) -> None:
    """Write records as JSON Lines (atomically: a partial file never replaces a good one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    tmp.replace(path)

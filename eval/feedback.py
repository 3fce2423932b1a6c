"""Turn thumbs-down votes from the chat page into dataset records to review."""

from __future__ import annotations

from eval.dataset import Record
from rag.feedback import Feedback


def records_from_feedback(votes: list[Feedback]) -> list[Record]:
    """One record per thumbs-down vote (newest question text wins for duplicates).

    The vote does not say which paper should have answered, so `gold` is empty and `answerable` is a guess (True:
    whoever disliked an answer expected one). The note keeps what was shown, so that a person can set `gold`,
    `must_mention` and `answerable` before the record joins a development set.
    """
    records: dict[str, Record] = {}  # question -> record; numbered once the duplicates are gone
    for vote in votes:
        if vote.liked:
            continue
        shown = ", ".join(f"[{s['n']}] {s['paper_id']}" for s in vote.sources if s.get("cited")) or "none"
        records[vote.question] = Record(
            id="",
            question=vote.question,
            answerable=True,
            history=[list(turn) for turn in vote.history],
            kind="feedback",
            note=f"thumbs-down {vote.time} on {vote.model or 'unknown model'}: answer {vote.answer!r}; cited {shown}. "
            "Review: set gold, must_mention and answerable.",
        )
    for number, record in enumerate(records.values(), start=1):
        record.id = f"feedback-{number:04d}"
    return list(records.values())

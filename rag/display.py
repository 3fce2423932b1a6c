"""Plain-text rendering of an Answer for the terminal."""

from __future__ import annotations

import textwrap

from rag.cite import reference
from rag.results import Answer


def answer_text(answer: Answer, width: int = 100) -> str:
    """The checked answer, unverified sentences flagged, then the numbered sources with their evidence."""
    lines = [textwrap.fill(answer.answer, width)]
    if answer.abstained:
        lines.append(f"({answer.reason})")
        if answer.sources:
            lines.append("\nClosest evidence:")
    elif answer.mode == "extractive":
        lines.append(f"({answer.reason})")
        lines.append("\nSources:")
    else:
        flagged = [s for s in answer.sentences if not s.supported]
        if flagged:
            lines.append(f"({len(flagged)} sentence(s) marked [unverified]: no source supports them)")
        lines.append("\nSources:")
    for source in answer.sources:
        if not answer.abstained and not source.cited:
            continue
        dates = f" (listed {', '.join(source.dates)})" if source.dates else ""
        lines.append(f"[{source.n}] {source.title}{dates}{' ' + source.url if source.url else ''}")
        if cited_as := reference(source):
            lines.append(f"    {cited_as}")
        for evidence in source.evidence:
            lines.append(textwrap.fill(evidence.text, width, initial_indent="    > ", subsequent_indent="      "))
    return "\n".join(lines)

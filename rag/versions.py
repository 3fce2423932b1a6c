"""Which stored chunks make a paper: a version counts only when all its chunks are present (crash safety)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredChunk:
    """What `scan` reports of one stored chunk."""

    chunk_id: str
    paper_id: str
    content_hash: str
    index: int
    n_chunks: int
    ingested_at: float
    listing_key: str  # dates and sources, to notice metadata-only changes


def complete_papers(stored: Iterable[StoredChunk]) -> dict[str, list[StoredChunk]]:
    """For each paper, the chunks of its newest complete version (all `n_chunks` present)."""
    versions: dict[tuple[str, str], list[StoredChunk]] = defaultdict(list)
    for chunk in stored:
        versions[(chunk.paper_id, chunk.content_hash)].append(chunk)
    best: dict[str, list[StoredChunk]] = {}
    for (paper_id, _), chunks in versions.items():
        indexes = {c.index for c in chunks}
        if indexes != set(range(chunks[0].n_chunks)) or len(chunks) != chunks[0].n_chunks:
            continue
        current = best.get(paper_id)
        if current is None or max(c.ingested_at for c in chunks) > max(c.ingested_at for c in current):
            best[paper_id] = chunks
    return best

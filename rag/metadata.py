"""What the index stores about a paper beside its vectors, and the filters over it (Chroma's `where` syntax).

Pure functions: `rag.store` writes and reads these records; nothing here talks to Chroma.
"""

from __future__ import annotations

import json
from typing import Any

from rag.errors import InputError
from rag.records import Chunk, Paper


def version_id(paper_id: str, content_hash: str) -> str:
    """One version of a paper (its text at one content hash): the prefix of its chunk and sentence ids."""
    return f"{paper_id}#{content_hash[:12]}"


def chunk_id(chunk: Chunk, content_hash: str) -> str:
    """Deterministic id: re-writing the same chunk overwrites it, never duplicates it."""
    return f"{version_id(chunk.paper_id, content_hash)}#{chunk.index}"


def sentence_id(version: str, index: int) -> str:
    """Id of the `index`-th abstract sentence of a paper version (its vector lives in the sentence collection)."""
    return f"{version}#s{index}"


def parse_chunk_id(cid: str) -> tuple[str, str]:
    """(paper id, version id) named by a chunk id; a paper id may itself hold '#'.

    >>> parse_chunk_id("arxiv:2401.1#ab12cd34ef56#3")
    ('arxiv:2401.1', 'arxiv:2401.1#ab12cd34ef56')
    """
    version = cid.rsplit("#", 1)[0]
    return version.rsplit("#", 1)[0], version


def listing_key(paper: Paper) -> str:
    """Dates and sources of a paper as one comparable string."""
    bibliographic = [paper.year, paper.venue, paper.doi, paper.key]  # only when known: older indexes see no change
    return json.dumps([paper.dates, paper.sources, paper.url, paper.authors, *bibliographic * any(bibliographic)])


def listing_metadata(paper: Paper) -> dict[str, Any]:
    """The metadata that can change without re-embedding: listing dates, sources, url, authors and the
    bibliographic fields (`year` is 0 when unknown, so a year filter leaves such papers out)."""
    return {
        "dates": json.dumps(paper.dates),
        "first_date": paper.dates[0] if paper.dates else "",
        "last_date": paper.dates[-1] if paper.dates else "",
        "sources": json.dumps(paper.sources),
        "listing_key": listing_key(paper),
        "url": paper.url or "",
        "authors": paper.authors or "",
        "year": paper.year or 0,
        "venue": paper.venue or "",
        "doi": paper.doi or "",
        "key": paper.key or "",
    }


def where_years(since: int | None = None, until: int | None = None) -> dict | None:
    """A filter for papers published in [since, until] (either end open); papers of unknown year are left out.

    >>> where_years(2020, None), where_years(None, None)
    ({'year': {'$gte': 2020}}, None)
    """
    clauses = [{"year": {op: int(y)}} for op, y in (("$gte", since), ("$lte", until)) if y]
    if since is not None and until is not None and since and until and since > until:
        raise InputError(f"the year range is empty: from {since} to {until}")
    return where_all(*clauses)


def where_all(*clauses: dict | None) -> dict | None:
    """The conjunction of filters (None entries ignored)."""
    kept = [c for c in clauses if c]
    return None if not kept else kept[0] if len(kept) == 1 else {"$and": kept}


def chunk_metadata(paper: Paper, chunk: Chunk, n_chunks: int, now: float) -> dict[str, Any]:
    """Chroma metadata of one chunk (scalars only; lists are JSON strings)."""
    meta: dict[str, Any] = {
        "paper_id": paper.paper_id,
        "title": paper.title,
        "content_hash": paper.content_hash,
        "chunk_index": chunk.index,
        "n_chunks": n_chunks,
        "start": chunk.start,
        "end": chunk.end,
        "sentences": json.dumps([list(s) for s in chunk.sentences]),
        **listing_metadata(paper),
        "ingested_at": now,
    }
    if chunk.index == 0:
        meta["abstract"] = paper.abstract
    return meta

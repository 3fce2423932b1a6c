"""`rag ingest`: parse sources, chunk, embed and write to Chroma, incrementally and crash-safely.

Order of writes, so that a SIGKILL at any moment leaves an index the next run completes exactly:
1. chunk ids are deterministic (`paper#hash#index`), so re-writing a chunk overwrites it;
2. all chunks of a paper are upserted in one Chroma call, and a paper counts as indexed only when every
   chunk of one content hash is there;
3. an older version of a paper is deleted only after its new version is complete;
4. chunks of incomplete or superseded versions (left by an interrupted run) are deleted on the next run.

Several workers can write one index at once (`shard`: each owns the papers whose id hashes to it, see
`rag.shard`); a worker reads, writes and deletes its own papers' chunks only, so the four rules hold per shard.
The BM25 side is rebuilt from the whole store by whichever worker finishes last.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from rag.bm25 import BM25Spec, is_current, rebuild_from_store, saved_info
from rag.chunk import chunk_papers
from rag.config import Settings
from rag.embed import Embedder, load_embedder
from rag.lock import bm25_lock, ingest_lock
from rag.metadata import listing_key
from rag.parsers import LoadResult, load_sources
from rag.records import Chunk, Paper
from rag.sentences import split_sentences
from rag.shard import Shard
from rag.store import ChunkStore
from rag.versions import StoredChunk, complete_papers


@dataclass
class IngestSummary:
    """What one ingest did; `--json` prints exactly this."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    sentences_backfilled: int = 0  # sentence vectors added for papers indexed before they were stored
    papers: int = 0  # papers in the index afterwards
    chunks: int = 0  # chunks in the index afterwards
    entries_read: int = 0
    files: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # entries left out (no abstract), each named
    collection: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        """The human summary printed at the end of `rag ingest`."""
        lines = [
            f"papers: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed",
            f"chunks embedded: {self.chunks_embedded}; index now holds {self.papers} papers in {self.chunks} chunks",
            f"read {self.entries_read} entries from {len(self.files)} file(s) in {self.seconds:.1f} s "
            f"(collection {self.collection})",
        ]
        if self.sentences_backfilled:
            lines.append(f"stored the vectors of {self.sentences_backfilled} sentences of papers indexed earlier")
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} entries without an abstract:")
            lines += [f"  {s}" for s in self.skipped]
        lines += [f"warning: {w}" for w in self.warnings]
        lines += [f"error: {e}" for e in self.errors]
        return "\n".join(lines)


def ingest(
    paths: list[Path],
    settings: Settings,
    embedder: Embedder | None = None,
    prune: bool = False,
    progress: bool | None = None,
    on_batch: Any = None,
    shard: Shard | None = None,
) -> IngestSummary:
    """Bring the index in line with the papers under `paths`; bad files are reported, good ones ingested.
    With `shard`, only the papers that shard owns are written, replaced or pruned."""
    started = time.perf_counter()
    loaded = load_sources(paths, settings.ingest)
    summary = IngestSummary(
        files=dict(loaded.entries),
        entries_read=loaded.entry_count,
        errors=[str(e) for e in loaded.errors],
        warnings=list(loaded.warnings),
        skipped=[str(s) for s in loaded.skipped],
    )
    if not loaded.papers:
        summary.seconds = time.perf_counter() - started
        return summary
    if shard is not None:
        loaded = replace(loaded, papers={pid: p for pid, p in loaded.papers.items() if shard.owns(pid)})
    # one writer per index (or per shard); a second one is refused before it changes anything
    with ingest_lock(settings.home, shard.label if shard else None):
        _apply(loaded, summary, settings, embedder, prune, progress, on_batch, shard)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _apply(
    loaded: LoadResult,
    summary: IngestSummary,
    settings: Settings,
    embedder: Embedder | None,
    prune: bool,
    progress: bool | None,
    on_batch: Any,
    shard: Shard | None = None,
) -> None:
    """Write what changed, delete leftovers (and with `prune` what is gone), then refresh BM25 (under the lock).
    A shard worker sees only its own papers' chunks, so it never touches another worker's."""
    store = ChunkStore(settings)
    summary.collection = store.name
    stored = [c for c in store.scan() if shard is None or shard.owns(c.paper_id)]
    complete = complete_papers(stored)
    by_paper: dict[str, list[StoredChunk]] = {}
    for chunk in stored:
        by_paper.setdefault(chunk.paper_id, []).append(chunk)

    to_embed: list[Paper] = []
    kept: list[Paper] = []  # indexed already, text unchanged
    for paper_id, paper in loaded.papers.items():
        current = complete.get(paper_id)
        if current is not None:
            dates, sources = _stored_listings(current[0].listing_key)
            paper.prior_dates, paper.prior_sources = tuple(dates), tuple(sources)
        if current is None:
            to_embed.append(paper)
            summary.added += 1
        elif current[0].content_hash != paper.content_hash:
            to_embed.append(paper)
            summary.updated += 1
        elif current[0].listing_key != listing_key(paper):
            store.update_listings(paper, current)
            summary.updated += 1
            kept.append(paper)
        else:
            summary.unchanged += 1
            kept.append(paper)

    # Leftovers of interrupted runs: every chunk not in a paper's complete version (papers about to be
    # re-embedded keep their old version until the new one is written).
    embedding_ids = {p.paper_id for p in to_embed}
    keep = {c.chunk_id for chunks in complete.values() for c in chunks}
    stale = [c.chunk_id for c in stored if c.chunk_id not in keep and c.paper_id not in embedding_ids]
    store.delete(stale)
    summary.chunks_deleted += len(stale)

    if to_embed:
        _embed_and_write(to_embed, by_paper, store, settings, embedder, summary, progress, on_batch)
    have = store.sentence_versions() if kept else set()
    if backfill := [p for p in kept if p.content_hash not in have]:
        summary.sentences_backfilled = _backfill_sentences(backfill, store, settings, embedder)

    if prune and summary.errors:
        summary.warnings.append("--prune skipped: some sources could not be read, their papers would be lost")
    elif prune:
        gone = [pid for pid in by_paper if pid not in loaded.papers]
        ids = [c.chunk_id for pid in gone for c in by_paper[pid]]
        store.delete(ids)
        summary.removed = len([pid for pid in gone if pid in complete])
        summary.chunks_deleted += len(ids)

    with bm25_lock(settings.bm25_dir):  # workers finishing together rebuild in turn; the last sees every chunk
        final = store.scan()
        saved = saved_info(settings.bm25_dir, store.name)
        spec = BM25Spec.of(settings.retrieval)
        if not is_current(saved, [c.chunk_id for c in final], spec):
            rebuild_from_store(store, settings.bm25_dir, spec)
    store.mark_ingested()
    summary.papers = len(complete_papers(final))
    summary.chunks = len(final)


def _embed_and_write(
    papers: list[Paper],
    by_paper: dict[str, list[StoredChunk]],
    store: ChunkStore,
    settings: Settings,
    embedder: Embedder | None,
    summary: IngestSummary,
    progress: bool | None,
    on_batch: Any,
) -> None:
    """Chunk, embed and upsert papers in batches of whole papers; then drop their older versions."""
    embedder = embedder or load_embedder(settings)
    chunked = chunk_papers(papers, embedder.count_tokens, settings.chunk)
    total = sum(len(c) for c in chunked)
    show = sys.stderr.isatty() if progress is None else progress
    from tqdm import tqdm

    bar = tqdm(total=total, unit="chunk", desc="embedding", disable=not show, file=sys.stderr)
    for batch in _batches(list(zip(papers, chunked)), settings.ingest.batch_chunks):
        texts = [c.text for _, chunks in batch for c in chunks]
        spans, sentences = _sentences([paper for paper, _ in batch])  # looked up as evidence at query time
        vectors = embedder.embed(texts + sentences)
        store.write(batch, vectors[: len(texts)], spans, vectors[len(texts) :])
        new_ids = {c.paper_id for _, chunks in batch for c in chunks}
        old = [
            c.chunk_id
            for paper, _ in batch
            for c in by_paper.get(paper.paper_id, [])
            if c.content_hash != paper.content_hash
        ]
        store.delete(old)
        summary.chunks_deleted += len(old)
        summary.chunks_embedded += len(texts)
        bar.update(len(texts))
        if on_batch is not None:
            on_batch(summary.chunks_embedded, total, sorted(new_ids))
    bar.close()


def _sentences(papers: list[Paper]) -> tuple[list[list[tuple[int, int]]], list[str]]:
    """Each paper's sentence offsets, and all their texts in order (what the sentence vectors are made of)."""
    spans = [split_sentences(p.abstract) for p in papers]
    return spans, [p.abstract[a:b] for p, offsets in zip(papers, spans) for a, b in offsets]


def _backfill_sentences(papers: list[Paper], store: ChunkStore, settings: Settings, embedder: Embedder | None) -> int:
    """Store the sentence vectors of papers indexed before they were kept (one-off, on the next ingest)."""
    embedder = embedder or load_embedder(settings)
    done = 0
    step = max(1, settings.ingest.batch_chunks // 4)  # about as many sentences per batch as chunks in a batch
    for i in range(0, len(papers), step):
        batch = papers[i : i + step]
        spans, texts = _sentences(batch)
        store.write_sentences(batch, spans, embedder.embed(texts))
        done += len(texts)
    return done


def _batches(items: list[tuple[Paper, list[Chunk]]], size: int) -> list[list[tuple[Paper, list[Chunk]]]]:
    """Group whole papers into batches of about `size` chunks."""
    batches: list[list[tuple[Paper, list[Chunk]]]] = [[]]
    count = 0
    for item in items:
        if count and count + len(item[1]) > size:
            batches.append([])
            count = 0
        batches[-1].append(item)
        count += len(item[1])
    return [b for b in batches if b]


def _stored_listings(key: str) -> tuple[list[str], list[str]]:
    """Dates and sources recorded for a stored paper."""
    try:
        dates, sources, *_ = json.loads(key)
        return list(dates), list(sources)
    except (ValueError, TypeError):
        return [], []

"""`rag ingest --workers N`: N processes ingest one index in a Chroma server at once, one shard each.

Each worker is an ordinary `ingest(..., shard=Shard(i, N))` in its own process (its own embedder, its own
connection to the server), so the result is the index a one-worker ingest builds. The same shards can run on
several machines against one server with `rag ingest --shard I/N`.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rag.config import Settings
from rag.errors import ConfigError
from rag.ingest import IngestSummary, ingest
from rag.shard import Shard
from rag.store import ChunkStore
from rag.versions import complete_papers

COUNTS = ("added", "updated", "unchanged", "removed", "chunks_embedded", "chunks_deleted", "sentences_backfilled")


def ingest_in_workers(paths: list[Path], settings: Settings, workers: int, prune: bool = False) -> IngestSummary:
    """Ingest `paths` with `workers` processes writing to the Chroma server of `settings`; one merged summary."""
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if workers > 1 and not settings.store.chroma_host:
        raise ConfigError(
            "--workers needs a Chroma server (--chroma-host/--chroma-port): an embedded index has one writer process"
        )
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked model or client state
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        jobs = [pool.submit(_work, paths, settings, Shard(i, workers), prune, threads) for i in range(1, workers + 1)]
        parts = [job.result() for job in jobs]
    summary = merge(parts)
    stored = ChunkStore(settings, create=False).scan()
    summary.papers, summary.chunks = len(complete_papers(stored)), len(stored)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _work(paths: list[Path], settings: Settings, shard: Shard, prune: bool, threads: int) -> IngestSummary:
    import torch

    torch.set_num_threads(threads)  # N workers share the machine's cores
    return ingest(paths, settings, prune=prune, progress=False, shard=shard)


def merge(parts: list[IngestSummary]) -> IngestSummary:
    """One summary of the shards: counts added up; files, errors and warnings once (every worker read them all)."""
    first = parts[0]
    merged = IngestSummary(
        files=first.files, entries_read=first.entries_read, skipped=first.skipped, collection=first.collection
    )
    for name in COUNTS:
        setattr(merged, name, sum(getattr(p, name) for p in parts))
    merged.errors = list(dict.fromkeys(e for p in parts for e in p.errors))
    merged.warnings = list(dict.fromkeys(w for p in parts for w in p.warnings))
    return merged

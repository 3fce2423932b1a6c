"""How wide Chroma's HNSW search must be to find the nearest chunks themselves: recall against exact search, and time.

    python benchmarks/search_breadth.py [--beir ../shared/benchmarks/scifact] [--queries 300]

For each `ef_search` in turn the index's chunk collection is set to it (a search setting, no rebuild) and every
query's 60 nearest chunks (the product's dense candidates) are compared with an exact search over all stored
vectors (numpy). Prints recall@60 (mean and worst query), median and p95 milliseconds of the query, and the ratio
to Chroma's default of 100, then sets the index back to the product's setting (`StoreSettings.ef_search`).
Without `--beir` it uses the seed index and the development questions.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.embed import load_embedder
from rag.store import ChunkStore

BREADTHS = (100, 200, 400, 800, 1000)
CANDIDATES = 60


def questions(folder: Path | None, limit: int) -> list[str]:
    if folder is None:
        from eval.dataset import DEV, load_dataset

        return [r.question for r in load_dataset(DEV)][:limit]
    from eval.beir import load_queries

    return list(load_queries(folder)[0].values())[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beir", type=Path, help="a BEIR folder already indexed by `rag eval beir`")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.beir:
        from eval.beir import beir_settings

        settings = beir_settings(args.beir, settings)
    store = ChunkStore(settings, create=False)
    ids, rows = zip(*store.vectors())
    matrix = np.asarray(rows, dtype=np.float32)
    names = np.asarray(ids)
    vectors = load_embedder(settings).embed(questions(args.beir, args.queries))
    exact = [set(names[np.argsort(-(matrix @ np.asarray(v, dtype=np.float32)))[:CANDIDATES]]) for v in vectors]
    print(f"{len(vectors)} queries, {len(ids):,} chunks, {CANDIDATES} nearest\n")
    print("| ef_search | recall@60 mean | worst query | median ms | p95 ms | time vs 100 |")
    print("|---|---|---|---|---|---|")
    base = None
    try:
        for ef in BREADTHS:
            ChunkStore(replace(settings, store=replace(settings.store, ef_search=ef)), create=False)  # sets it
            store.reopen()  # this store's collection handle loads the index anew, at that breadth
            recalls, times = [], []
            for vector, truth in zip(vectors, exact):
                started = time.perf_counter()
                found = store.nearest(vector, CANDIDATES)
                times.append(time.perf_counter() - started)
                recalls.append(len(truth & {cid for cid, _ in found}) / CANDIDATES)
            median = statistics.median(times) * 1000
            p95 = sorted(times)[int(0.95 * (len(times) - 1))] * 1000
            base = base or median
            print(
                f"| {ef} | {statistics.mean(recalls):.4f} | {min(recalls):.3f} | {median:.2f} | {p95:.2f} "
                f"| {median / base:.2f}x |"
            )
    finally:
        ChunkStore(settings, create=False)  # back to the product's setting


if __name__ == "__main__":
    main()

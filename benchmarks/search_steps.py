"""Where one search's time goes, step by step (median and p95 over the queries), on any index.

    python benchmarks/search_steps.py --beir ../shared/benchmarks/scifact [--index .rag/scale] [--queries 80]

Each step is timed on its own, in the order a search runs them: the query embedding, the dense query (ids and
distances), BM25, the lookup of BM25's chunks by id, the ranking with the top papers' first chunks, their sentence
vectors, the evidence scores; then a whole search for comparison.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.embed import load_embedder
from rag.retrieve import Retriever
from rag.store import ChunkStore


def main() -> None:
    from eval.beir import beir_settings, load_queries

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", type=Path, required=True, help="a BEIR folder already ingested by `rag eval beir`")
    parser.add_argument("--index", type=Path, help="search this index home instead (the scale run)")
    parser.add_argument("--queries", type=int, default=80)
    args = parser.parse_args()
    settings = Settings.from_env()
    settings = replace(beir_settings(args.beir, settings), retrieval=settings.retrieval)
    if args.index:
        settings = replace(settings, home=args.index)
    embedder = load_embedder(settings)
    store = ChunkStore(settings, create=False)
    retriever = Retriever(settings, embedder, store)
    queries = list(load_queries(args.beir)[0].values())[: args.queries]
    retriever.search(queries[0], 3)  # warm-up
    times: dict[str, list[float]] = {}

    def timed(step: str, call: Callable[..., Any], *a: Any) -> Any:
        started = time.perf_counter()
        out = call(*a)
        times.setdefault(step, []).append(time.perf_counter() - started)
        return out

    n = settings.retrieval.candidates
    for query in queries:
        qvec = timed("query embedding", embedder.embed, [query])[0]
        timed("dense query (ids, distances)", store.nearest, qvec, n, None)
        found = timed("BM25", retriever.bm25.search, query, n)
        timed("BM25's chunks looked up by id", store.present, [c for c, _ in found], None)
        hits = timed("ranking + first chunks by id", retriever.rank, query, 3, "hybrid", None, qvec)
        vectors = timed("sentence vectors by id", retriever.sentence_vectors, hits)
        timed("evidence scores", retriever._attach_evidence, qvec, hits, vectors)
        timed("whole search", retriever.search_with_vectors, query, 3)
    print(f"index: {store.count()} chunks; {len(queries)} queries")
    print(f"{'step':<34}{'median ms':>10}{'p95 ms':>9}")
    for step, values in times.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(f"{step:<34}{1000 * statistics.median(values):>10.1f}{1000 * p95:>9.1f}")


if __name__ == "__main__":
    main()

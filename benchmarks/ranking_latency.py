"""Query-time cost of the ranking options against the default (RRF), in one process, interleaved query by query.

    python benchmarks/ranking_latency.py --beir ../shared/benchmarks/scifact [--limit 300] [--k 3]

Every option searches the same index (the one `rag eval beir` built) with the product's candidate count, through
`Retriever.search` (query embedding, ranking, evidence scores of the top-k papers), so they differ in nothing
but the ranking. Prints the median and 95th percentile per option and the ratio of its median to RRF's, and the
process's peak memory (the sentence side holds every sentence vector in memory).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

from rag.config import Settings
from rag.embed import load_embedder
from rag.retrieve import Retriever
from rag.store import ChunkStore

ZSCORE_PAPERS = dict(
    retrieval__fusion="zscore", retrieval__bm25_documents="papers", retrieval__bm25_k1=0.9, retrieval__bm25_b=0.4
)
OPTIONS = {
    "rrf (default)": {},
    "z-score, dense chunks + BM25 chunks (RAG_FUSION=zscore)": dict(retrieval__fusion="zscore"),
    "z-score, dense chunks + BM25 abstracts, k1 0.9 b 0.4": ZSCORE_PAPERS,
    "z-score, + dense sentences (the rule's choice)": dict(**ZSCORE_PAPERS, retrieval__sentence_weight=1.0),
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    from eval.beir import beir_settings, load_queries

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beir", type=Path, required=True, help="a BEIR folder already ingested by `rag eval beir`")
    parser.add_argument("--limit", type=int, default=300, help="test queries")
    parser.add_argument("--k", type=int, default=3, help="papers per search (the product's sources)")
    args = parser.parse_args()
    base = beir_settings(args.beir, Settings.from_env())
    base = base.override(retrieval__candidates=Settings().retrieval.candidates)  # the product's, not 300
    embedder = load_embedder(base)
    store = ChunkStore(base, create=False)
    retrievers = {name: Retriever(base.override(**o), embedder=embedder, store=store) for name, o in OPTIONS.items()}
    queries = list(load_queries(args.beir)[0].values())[: args.limit]
    times: dict[str, list[float]] = {name: [] for name in OPTIONS}
    for retriever in retrievers.values():  # warm: the sentence side reads its matrix on first use
        retriever.search(queries[0], args.k)
    for query in queries:
        for name, retriever in retrievers.items():
            started = time.perf_counter()
            retriever.search(query, args.k)
            times[name].append(1000 * (time.perf_counter() - started))
    base_median = statistics.median(times["rrf (default)"])
    print(f"{len(queries)} queries, k = {args.k}, {base.retrieval.candidates} candidates a side")
    print("| ranking | median ms | p95 ms | median vs RRF |")
    print("|---|---|---|---|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.1f} | {p95(values):.1f} | {median / base_median:.2f}x |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak:.0f} MB")


if __name__ == "__main__":
    main()

"""Query-time cost of retrieval with stored sentence vectors against the earlier path (sentences embedded per
question), in the same process, interleaved question by question.

    python benchmarks/query_latency.py [--home DIR] [--dataset eval/datasets/dev.jsonl] [--repeat 2] [--k 3]
    python benchmarks/query_latency.py --beir ../shared/benchmarks/scifact [--repeat 1]
    python benchmarks/query_latency.py --beir ../shared/benchmarks/scifact --index .rag/scale --repeat 1

`--index` searches another index home with the benchmark's queries (the scale run: `benchmarks/scale_corpus.py`).

With `--beir`, the index is the one `rag eval beir` built for that folder and the questions are its test queries
(retrieval as the product runs it: its default candidate count, not the benchmark's 300).

For every question of the dataset (follow-ups included, as asked) it times, on one index:
- `search`: the query embedding, hybrid ranking and evidence scoring of the top-k papers' sentences;
- `check`: preparing the citation check's vectors for those papers: now the sentence vectors come with the search
  and only the titles are embedded; the earlier path embedded every sentence and title again.
Prints the median and 95th percentile of each, for both paths, and the ratio of the medians. The index must have
been ingested by this version (or re-ingested once: `rag ingest` stores the sentence vectors of older indexes).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from dataclasses import replace
from pathlib import Path

from rag.citations import SupportScorer
from rag.config import Settings
from rag.embed import load_embedder
from rag.retrieve import Retriever
from rag.store import ChunkStore


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    from eval.dataset import DEV, load_dataset

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="index folder (default: $RAG_HOME or .rag)")
    parser.add_argument("--dataset", type=Path, default=DEV)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--beir", type=Path, help="a BEIR folder already ingested by `rag eval beir`")
    parser.add_argument("--index", type=Path, help="with --beir: search this index home instead (the scale run)")
    args = parser.parse_args()

    settings = Settings.from_env(home=args.home)
    if args.beir:
        from eval.beir import beir_settings, load_queries

        settings = replace(beir_settings(args.beir, settings), retrieval=settings.retrieval)
        if args.index:
            settings = replace(settings, home=args.index)
    embedder = load_embedder(settings)
    store = ChunkStore(settings, create=False)
    print(f"index: {store.count()} chunks, {store.sentences.count() if store.sentences else 0} sentence vectors")
    paths = {
        "stored": Retriever(settings, embedder, store),
        "earlier": Retriever(
            replace(settings, retrieval=replace(settings.retrieval, stored_sentences=False)), embedder, store
        ),
    }
    if args.beir:
        questions = list(load_queries(args.beir)[0].values())
    else:
        questions = [r.question for r in load_dataset(args.dataset)]
    for retriever in paths.values():  # warm-up: model, Chroma and BM25 loaded, caches filled
        retriever.search(questions[0], args.k)
    times: dict[str, dict[str, list[float]]] = {name: {"search": [], "check": []} for name in paths}
    for _ in range(args.repeat):
        for question in questions:
            for name, retriever in paths.items():
                started = time.perf_counter()
                hits, vectors = retriever.search_with_vectors(question, args.k)
                searched = time.perf_counter()
                SupportScorer(embedder, [(h.title, h.abstract) for h in hits], vectors if name == "stored" else None)
                times[name]["search"].append(searched - started)
                times[name]["check"].append(time.perf_counter() - searched)

    print(f"{len(questions)} questions x {args.repeat}, k={args.k}, embedder {settings.embed_model}")
    print(f"{'step':<8}{'path':<9}{'median ms':>10}{'p95 ms':>9}")
    for step in ("search", "check"):
        for name in paths:
            values = times[name][step]
            print(f"{step:<8}{name:<9}{1000 * statistics.median(values):>10.1f}{1000 * p95(values):>9.1f}")
        ratio = statistics.median(times["stored"][step]) / statistics.median(times["earlier"][step])
        print(f"{step:<8}ratio stored/earlier (medians): {ratio:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"peak memory of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()

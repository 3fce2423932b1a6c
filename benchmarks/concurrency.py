"""Many requests at once against one shared pipeline: every result must equal the same request run alone.

    python benchmarks/concurrency.py [--threads 4] [--repeat 5] [--llm tiny]

Without `--llm` only retrieval runs (the part that keeps per-request state: query vector, scored evidence); with
`--llm` whole answers run, compared by their sources, evidence and mode. Prints the number of mismatches (must be
0) and the throughput of N threads relative to one thread on the same workload.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from rag.config import Settings
from rag.pipeline import Pipeline
from rag.retrieve import Retriever

QUESTIONS = [
    "Which optimizer makes 4-bit LLM training more stable than Adam?",
    "How can recommender systems avoid spurious correlations between user interests?",
    "What method detects jamming in 5G networks?",
    "How do diffusion models generate high-resolution images?",
    "How can hallucination in vision-language models be reduced?",
    "What is BatchFormer?",
    "What pooling does NV-Embed use?",
    "How does MUVERA speed up multi-vector retrieval?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--llm", help="also answer with this bundled model (default, fast, tiny)")
    args = parser.parse_args()
    settings = Settings.from_env()
    retriever = Retriever(settings)
    if args.llm:
        pipeline = Pipeline(settings.override(llm__backend=args.llm), retriever=retriever)

        def one(question: str) -> object:
            answer = pipeline.ask(question)
            return answer.mode, [(s.paper_id, [(e.text, e.score) for e in s.evidence]) for s in answer.sources]
    else:

        def one(question: str) -> object:
            return [(h.paper_id, [(e.text, e.score) for e in h.evidence]) for h in retriever.search(question)]

    alone = {q: one(q) for q in QUESTIONS}  # also warms every cache
    work = QUESTIONS * args.repeat
    started = time.perf_counter()
    serial = [one(q) for q in work]
    serial_s = time.perf_counter() - started
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        together = list(pool.map(one, work))
    threaded_s = time.perf_counter() - started
    mismatches = sum(result != alone[q] for q, result in zip(work, serial))
    mismatches += sum(result != alone[q] for q, result in zip(work, together))
    print(f"{len(work)} requests ({'answers with ' + args.llm if args.llm else 'retrieval only'})")
    print(f"mismatches with the request run alone: {mismatches} (must be 0)")
    print(f"1 thread: {serial_s:.2f} s; {args.threads} threads: {threaded_s:.2f} s")
    print(f"throughput ratio {args.threads} threads / 1 thread: {serial_s / threaded_s:.2f}")


if __name__ == "__main__":
    main()

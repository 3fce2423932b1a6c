"""Embedding backends side by side: torch (sentence-transformers), ONNX Runtime fp32, ONNX Runtime int8.

Every backend embeds the same texts (the chunks and the stored sentences of the corpus, exactly as `rag ingest`
makes them) in alternating rounds in this one process, so machine drift hits them alike; medians are reported,
with the ratio to torch and the agreement of the vectors with torch's (cosine). Then, with `--ingest`, one full
`rag ingest` per backend into a fresh index. Usage:

    python benchmarks/embed_backends.py [--corpus PATH ...] [--limit N] [--rounds R] [--ingest]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from rag.chunk import chunk_papers
from rag.config import EMBED_BACKENDS as BACKENDS
from rag.config import PROJECT_ROOT, Settings
from rag.embed import load_embedder
from rag.ingest import ingest
from rag.parsers import load_sources
from rag.sentences import split_sentences


def corpus_texts(paths: list[Path], settings: Settings, count_tokens, limit: int | None) -> tuple[int, list[str]]:
    """(abstracts, the chunk and sentence texts an ingest embeds)."""
    papers = list(load_sources(paths, settings.ingest).papers.values())[:limit]
    chunks = [c.text for group in chunk_papers(papers, count_tokens, settings.chunk) for c in group]
    sentences = [p.abstract[a:b] for p in papers for a, b in split_sentences(p.abstract)]
    return len(papers), chunks + sentences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, nargs="+", default=[PROJECT_ROOT / "data"])
    parser.add_argument("--limit", type=int, help="only the first N abstracts (embedding rounds only)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ingest", action="store_true", help="also time one full `rag ingest` per backend")
    args = parser.parse_args()
    if args.ingest and args.limit:
        parser.error("--ingest ingests whole corpora: leave out --limit")

    settings = Settings()
    embedders = {b: load_embedder(replace(settings, embed_backend=b)) for b in BACKENDS}
    abstracts, texts = corpus_texts(args.corpus, settings, embedders["torch"].count_tokens, args.limit)
    for e in embedders.values():
        e.embed(texts[:32])  # warm up
    seconds: dict[str, list[float]] = {b: [] for b in BACKENDS}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for backend, embedder in embedders.items():
            started = time.perf_counter()
            vectors[backend] = np.asarray(embedder.embed(texts), dtype=np.float32)
            seconds[backend].append(time.perf_counter() - started)
    print(f"{abstracts} abstracts, {len(texts)} texts (chunks and sentences), {args.rounds} alternating rounds")
    print(f"{'backend':<10}{'median s':>10}{'abstracts/s':>13}{'vs torch':>10}{'cos min':>9}{'cos median':>12}")
    base = statistics.median(seconds["torch"])
    for backend in BACKENDS:
        s = statistics.median(seconds[backend])
        cos = (vectors[backend] * vectors["torch"]).sum(axis=1)
        print(f"{backend:<10}{s:>10.1f}{abstracts / s:>13.2f}{base / s:>9.2f}x{cos.min():>9.4f}{np.median(cos):>12.4f}")
    if args.ingest:
        print(f"\n{'backend':<10}{'rag ingest s':>14}{'abstracts/s':>13}{'vs torch':>10}")
        took: dict[str, float] = {}
        for backend, embedder in embedders.items():
            with tempfile.TemporaryDirectory() as tmp:
                run = replace(settings, home=Path(tmp), embed_backend=backend)
                started = time.perf_counter()
                ingest(args.corpus, run, embedder=embedder, progress=False)
                took[backend] = time.perf_counter() - started
            print(
                f"{backend:<10}{took[backend]:>14.1f}{abstracts / took[backend]:>13.2f}"
                f"{took['torch'] / took[backend]:>9.2f}x"
            )


if __name__ == "__main__":
    main()

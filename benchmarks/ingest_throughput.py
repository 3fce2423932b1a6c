"""Ingest throughput vs the raw model: abstracts per second of `rag ingest` and of `SentenceTransformer.encode`.

Both run in this one process on the same texts: the chunks, and the abstract sentences whose vectors are stored
for query time ("chunks only" is the encode of the chunks alone, i.e. the ingest before sentence vectors).
The speed of these shared machines drifts by 30% between minutes, so the overhead is also measured inside the
ingest run itself: the time spent in the model's `encode` during the ingest against the ingest's total (parsing,
chunking, Chroma writes, BM25, bookkeeping). Usage:

    python benchmarks/ingest_throughput.py [--scifact PATH] [--limit N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rag.chunk import chunk_papers
from rag.config import PROJECT_ROOT, Settings
from rag.embed import SentenceTransformerEmbedder
from rag.ingest import ingest
from rag.parsers import load_sources
from rag.sentences import split_sentences

SCIFACT = PROJECT_ROOT.parent / "shared" / "benchmarks" / "scifact" / "corpus.jsonl"


def measure(
    name: str,
    paths: list[Path],
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
    repeat: int,
    keep: Path | None = None,
) -> dict:
    papers = list(load_sources(paths, settings.ingest).papers.values())
    texts = [c.text for chunks in chunk_papers(papers, embedder.count_tokens, settings.chunk) for c in chunks]
    sentences = [p.abstract[a:b] for p in papers for a, b in split_sentences(p.abstract)]
    raw, raw_chunks, full, inside = [], [], [], []
    for _ in range(repeat):
        started = time.perf_counter()
        embedder.model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True)
        raw_chunks.append(time.perf_counter() - started)
        embedder.model.encode(sentences, batch_size=embedder.batch_size, normalize_embeddings=True)
        raw.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as tmp:
            home = keep if keep is not None and not keep.exists() else Path(tmp)
            timed = TimedEmbedder(embedder)
            started = time.perf_counter()
            summary = ingest(paths, replace(settings, home=home), embedder=timed, progress=False)
            full.append(time.perf_counter() - started)
            inside.append(timed.seconds)
            assert summary.papers == len(papers) and summary.added == len(papers), summary.text()
    raw_s, full_s = statistics.median(raw), statistics.median(full)
    return {
        "corpus": name,
        "abstracts": len(papers),
        "chunks": len(texts),
        "sentences": len(sentences),
        "encode_chunks_only_per_s": len(papers) / statistics.median(raw_chunks),
        "encode_abstracts_per_s": len(papers) / raw_s,
        "ingest_abstracts_per_s": len(papers) / full_s,
        "overhead_vs_raw": full_s / raw_s - 1,
        "overhead_in_run": statistics.median(f / i - 1 for f, i in zip(full, inside)),
    }


class TimedEmbedder:
    """The real embedder, counting the seconds spent embedding."""

    def __init__(self, inner: SentenceTransformerEmbedder):
        self.inner, self.seconds = inner, 0.0
        self.name, self.max_tokens = inner.name, inner.max_tokens

    def embed(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.inner.count_tokens(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scifact", type=Path, default=SCIFACT, help="BEIR SciFact corpus.jsonl")
    parser.add_argument("--limit", type=int, help="only the first N SciFact abstracts")
    parser.add_argument("--repeat", type=int, default=1, help="runs per corpus; medians are reported")
    parser.add_argument("--skip-scifact", action="store_true")
    parser.add_argument("--keep-scifact", type=Path, help="build the SciFact index in this (new) folder and keep it")
    args = parser.parse_args()
    settings = Settings()
    embedder = SentenceTransformerEmbedder(settings.embed_model)
    embedder.model.encode(["warm up"])
    rows = [measure("seed (data/)", [PROJECT_ROOT / "data"], settings, embedder, args.repeat)]
    if not args.skip_scifact:
        source = args.scifact
        if args.limit:
            tmp = Path(tempfile.mkdtemp()) / "scifact.jsonl"
            with args.scifact.open() as f, tmp.open("w") as out:
                out.writelines(line for _, line in zip(range(args.limit), f))
            source = tmp
        rows.append(measure("SciFact", [source], settings, embedder, args.repeat, args.keep_scifact))
    print(
        f"{'corpus':<14}{'abstracts':>10}{'chunks':>8}{'sentences':>10}{'chunks only':>12}{'encode abs/s':>14}"
        f"{'ingest abs/s':>14}{'vs raw':>9}{'in run':>9}"
    )
    for r in rows:
        print(
            f"{r['corpus']:<14}{r['abstracts']:>10}{r['chunks']:>8}{r['sentences']:>10}"
            f"{r['encode_chunks_only_per_s']:>12.2f}{r['encode_abstracts_per_s']:>14.2f}"
            f"{r['ingest_abstracts_per_s']:>14.2f}{r['overhead_vs_raw']:>9.1%}{r['overhead_in_run']:>9.1%}"
        )


if __name__ == "__main__":
    main()

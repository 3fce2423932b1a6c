"""Build an index of 100,000+ papers for the scale run, from an index of real abstracts, without embedding.

    python benchmarks/scale_corpus.py --papers 100000 [--source .rag/beir/scifact] [--to .rag/scale] [--noise 0.02]

The source index (what `rag eval beir ../shared/benchmarks/scifact` built, with its sentence vectors) gives the
real papers, copied as they are. Each further paper is a variant of one of them with a new id: the same title, its
abstract's sentences in another order, each sentence's stored vector plus Gaussian noise (then normalised), and
chunks cut from the new order by the product's chunker, each vector the normalised mean of its sentences' vectors
plus noise. Embedding 100,000 abstracts would take hours on 2 cores; this takes minutes, and gives the store, the
BM25 side and the evidence lookup the sizes and shapes of a real index of that size. It is a benchmark, never
part of `make test`. The real papers keep their ids, so the benchmark's queries still have answers in the index
(their variants are near-duplicates, so quality figures at this scale are not comparable; latency is).
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from rag.bm25 import rebuild_from_store
from rag.chunk import chunk_papers
from rag.config import PROJECT_ROOT, Settings
from rag.embed import load_embedder
from rag.metadata import chunk_id, version_id
from rag.records import Paper
from rag.sentences import split_sentences
from rag.store import ChunkStore

BATCH = 400  # papers per write


def source_papers(store: ChunkStore) -> list[tuple[Paper, list[str], np.ndarray]]:
    """The source index's papers with their sentence texts and stored sentence vectors, in order."""
    metas = sorted(store.first_chunks(), key=lambda m: str(m["paper_id"]))
    out = []
    for i in range(0, len(metas), 500):
        page = metas[i : i + 500]
        papers = [Paper(str(m["paper_id"]), str(m["title"]), str(m["abstract"])) for m in page]
        versions = {version_id(p.paper_id, p.content_hash): p for p in papers}
        stored = store.sentence_vectors({v: len(split_sentences(p.abstract)) for v, p in versions.items()})
        for version, paper in versions.items():
            rows = stored.get(version, [])
            if rows and [(a, b) for a, b, _ in rows] == split_sentences(paper.abstract):
                texts = [paper.abstract[a:b] for a, b, _ in rows]
                out.append((paper, texts, np.array([v for _, _, v in rows], dtype=np.float32)))
    return out


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def variant(paper: Paper, texts: list[str], vectors: np.ndarray, n: int, rng: random.Random) -> tuple[Paper, list]:
    """Paper `n` made from `paper`: sentences shuffled (kept in order when the shuffle would re-split)."""
    order = list(range(len(texts)))
    rng.shuffle(order)
    abstract = " ".join(texts[i] for i in order)
    spans = split_sentences(abstract)
    if [abstract[a:b] for a, b in spans] != [texts[i] for i in order]:
        order = list(range(len(texts)))
        abstract = " ".join(texts)
        spans = split_sentences(abstract)
    new = Paper(f"{paper.paper_id}~v{n}", paper.title, abstract, url=paper.url)
    return new, [(spans[j], vectors[i]) for j, i in enumerate(order)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--source", type=Path, default=PROJECT_ROOT / ".rag" / "beir" / "scifact")
    parser.add_argument("--to", type=Path, default=PROJECT_ROOT / ".rag" / "scale")
    parser.add_argument("--noise", type=float, default=0.02, help="standard deviation of the noise per dimension")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    base = Settings.from_env()
    source = ChunkStore(replace(base, home=args.source), create=False)
    target_settings = replace(base, home=args.to)
    target = ChunkStore(target_settings)
    embedder = load_embedder(base)  # its tokenizer only: chunks are cut as ingest cuts them
    rng, noise = random.Random(args.seed), np.random.default_rng(args.seed)
    started = time.perf_counter()
    papers = source_papers(source)
    print(f"source: {len(papers)} papers with stored sentence vectors ({time.perf_counter() - started:.0f} s)")
    written = sentences = 0
    round_no = 0
    while written < args.papers:
        for i in range(0, len(papers), BATCH):
            group = papers[i : min(i + BATCH, i + args.papers - written)]
            if not group:
                break
            made = [
                (p, [((a, b), v) for (a, b), v in zip(split_sentences(p.abstract), vecs)])
                if round_no == 0
                else variant(p, texts, vecs, round_no, rng)
                for p, texts, vecs in group
            ]
            new_papers = [p for p, _ in made]
            chunked = chunk_papers(new_papers, embedder.count_tokens, base.chunk)
            spans, sentence_vectors, chunk_vectors = [], [], []
            for (paper, rows), chunks in zip(made, chunked):
                vecs = np.array([v for _, v in rows], dtype=np.float32)
                if round_no:
                    vecs = unit(vecs + noise.normal(0, args.noise, vecs.shape).astype(np.float32))
                spans.append([span for span, _ in rows])
                sentence_vectors.extend(vecs.tolist())
                if round_no == 0:  # the real papers keep their real chunk vectors
                    ids = [chunk_id(c, paper.content_hash) for c in chunks]
                    by_id = source.chunk_vectors(ids)
                    chunk_vectors.extend(by_id[cid] for cid in ids)
                    continue
                starts = [span[0] for span, _ in rows]
                for chunk in chunks:  # a chunk's sentences (or pieces of a long one) -> the sentences holding them
                    held = sorted({max(j for j, a in enumerate(starts) if a <= s) for s, _ in chunk.sentences})
                    mean = vecs[held].mean(axis=0)
                    chunk_vectors.append(unit(mean + noise.normal(0, args.noise, mean.shape)).tolist())
            target.write(list(zip(new_papers, chunked)), chunk_vectors, spans, sentence_vectors)
            written += len(group)
            sentences += len(sentence_vectors)
            rate = written / (time.perf_counter() - started)
            print(f"{written} papers, {sentences} sentences written ({rate:.0f} papers/s)", flush=True)
            if written >= args.papers:
                break
        round_no += 1
    built = time.perf_counter()
    index = rebuild_from_store(target, target_settings.bm25_dir)
    target.mark_ingested()
    print(f"BM25 over {len(index.ids)} chunks built in {time.perf_counter() - built:.0f} s")
    took = time.perf_counter() - started
    print(f"done: {written} papers, {target.count()} chunks, {sentences} sentences in {took:.0f} s")


if __name__ == "__main__":
    main()

"""BEIR retrieval benchmark: nDCG@10 and Recall@100 of dense, BM25 and hybrid retrieval.

Ingests the BEIR corpus into its own index home (incremental, so later runs reuse it), runs every test query
through `Retriever.rank` in each mode, and scores the runs with `ir-measures` (trec_eval under the hood).
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings
from rag.retrieve import MODES, Retriever

PUBLISHED = {  # nDCG@10 on SciFact test, from the benchmark's README
    "BM25 (BEIR paper, Elasticsearch)": 0.665,
    "all-MiniLM-L6-v2 dense (MTEB)": 0.645,
    "bge-small-en-v1.5 (MTEB)": 0.713,
}


@dataclass
class BeirResult:
    mode: str
    ndcg10: float
    recall100: float
    queries: int
    seconds: float


def load_queries(folder: Path, split: str = "test") -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Test queries (id -> text) and qrels (query id -> {doc id: relevance})."""
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / f"{split}.tsv").open() as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    queries = {}
    with (folder / "queries.jsonl").open() as f:
        for line in f:
            record = json.loads(line)
            if record["_id"] in qrels:
                queries[record["_id"]] = record["text"]
    return queries, qrels


def beir_settings(folder: Path, base: Settings) -> Settings:
    """Settings with an index home of its own for this BEIR dataset, and enough candidates for Recall@100."""
    return base.override(
        home=base.home / "beir" / folder.resolve().name, retrieval__candidates=max(base.retrieval.candidates, 300)
    )


def evaluate(
    folder: Path, settings: Settings, modes: tuple[str, ...] = MODES, limit: int | None = None
) -> list[BeirResult]:
    """Ingest (if needed) and score each retrieval mode on the test queries."""
    import ir_measures
    from ir_measures import R, nDCG

    from rag.ingest import ingest

    summary = ingest([folder / "corpus.jsonl"], settings)
    if summary.errors:
        raise RuntimeError("; ".join(summary.errors))
    queries, qrels = load_queries(folder)
    if limit:
        queries = dict(list(queries.items())[:limit])
    retriever = Retriever(settings)
    qrel_rows = [ir_measures.Qrel(q, d, rel) for q, docs in qrels.items() if q in queries for d, rel in docs.items()]
    results = []
    for mode in modes:
        started = time.perf_counter()
        run = []
        for qid, text in queries.items():
            for rank, hit in enumerate(retriever.rank(text, 100, mode)):
                run.append(ir_measures.ScoredDoc(qid, hit.paper_id, 100.0 - rank))
        scores = ir_measures.calc_aggregate([nDCG @ 10, R @ 100], qrel_rows, run)
        results.append(
            BeirResult(mode, scores[nDCG @ 10], scores[R @ 100], len(queries), time.perf_counter() - started)
        )
    return results


def table(results: list[BeirResult]) -> str:
    """Markdown table of our results, then the published figures."""
    lines = ["| retrieval | nDCG@10 | Recall@100 | ms/query |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.mode} (ours) | {r.ndcg10:.3f} | {r.recall100:.3f} | {1000 * r.seconds / r.queries:.0f} |")
    for name, value in PUBLISHED.items():
        lines.append(f"| {name} (published) | {value:.3f} | | |")
    return "\n".join(lines)

"""How the hybrid ranking's choices move retrieval quality: fusion rule, its weight, and the BM25 side.

    python benchmarks/fusion.py [--beir ../shared/benchmarks/scifact]

Candidates are fetched once per question (dense: the product's Chroma query; BM25: bm25s over the same chunks, or
over whole abstracts), then every variant is fused from them, so the variants differ in nothing else:
- fusion `rrf` (the earlier default: weighted reciprocal rank, k = 60) or `convex` (min-max normalised scores,
  alpha * dense + (1 - alpha) * BM25, each paper scored by its best chunk on each side);
- BM25 over chunks or over whole abstracts (title + abstract, one document per paper), with bm25s's defaults
  (k1 = 1.5, b = 0.75) or Anserini's BEIR defaults (k1 = 0.9, b = 0.4).
- a paper-level dense side (each paper's stored chunk vectors averaged), alone and as a further RRF list, and RRF
  over three or four lists (no weight to fit);
- a sentence-level dense side (each paper scored by its best stored sentence vector), alone and as a further RRF
  list.
- pseudo-relevance feedback on the dense side (Rocchio: the query vector plus beta times the mean stored vector of
  the first ranking's top k chunks, searched again), alone and fused with BM25 by RRF.
- z-score fusion (each side's scores standardised over its candidates, a paper missing from a side taking that
  side's lowest score, then alpha * dense + (1 - alpha) * BM25), and three sides so fused (dense chunks, dense
  sentences, BM25).
Prints MRR@10 and hit@1 on the seed development set (stand-alone answerable questions) and, with `--beir`, nDCG@10
and Recall@100 on two query sets of that benchmark: its training claims (SciFact's claims outside the test queries
that carry evidence annotations, each claim's evidence abstracts as its relevant papers; the rule for choosing)
and its test queries (reported, never used to choose). The last lines name the variant the rule chooses and how
many others the training claims cannot tell from it (a paired bootstrap over the claims).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from rag import fusion
from rag.config import Settings
from rag.metadata import parse_chunk_id
from rag.retrieve import Retriever

Ranking = dict[str, float]  # paper id -> best score on one side
ALPHAS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def bm25_side(retriever: Retriever, level: str, k1: float, b: float) -> Callable[[str, int], Ranking]:
    """A BM25 search over the index's chunks or whole abstracts, returning each paper's best score."""
    import bm25s

    from rag.bm25 import _stemmer, paper_text

    store = retriever.store
    if level == "chunk":
        pairs = list(store.documents())
        owners = [parse_chunk_id(cid)[0] for cid, _ in pairs]
        texts = [text for _, text in pairs]
    else:
        metas = list(store.first_chunks())
        owners = [str(m["paper_id"]) for m in metas]
        texts = [paper_text(m) for m in metas]  # what the product's BM25 over papers indexes
    index = bm25s.BM25(k1=k1, b=b)
    index.index(bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False), show_progress=False)

    def search(query: str, n: int) -> Ranking:
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
        if not tokens[0]:
            return {}
        docs, scores = index.retrieve(tokens, k=min(n, len(texts)), show_progress=False, n_threads=1)
        out: Ranking = {}
        for d, s in zip(docs[0], scores[0]):
            if s > 0:
                out.setdefault(owners[int(d)], float(s))
        return out

    return search


def dense_side(retriever: Retriever, vector: list[float], n: int) -> Ranking:
    return by_paper(retriever.store.nearest(vector, n))[0]


def by_paper(hits: list[tuple[str, float]]) -> tuple[Ranking, dict[str, str]]:
    """Nearest chunks as each paper's best similarity, and each paper's best chunk id."""
    scores: Ranking = {}
    chunks: dict[str, str] = {}
    for cid, similarity in hits:
        paper = parse_chunk_id(cid)[0]
        if paper not in scores:
            scores[paper], chunks[paper] = similarity, cid
    return scores, chunks


def paper_side(retriever: Retriever) -> Callable[[list[float], int], Ranking]:
    """A dense search over whole papers: each paper's vector is the normalised mean of its chunks' stored vectors
    (no new embedding), so a paper that matches in several chunks is not scored by one chunk alone."""
    import numpy as np

    by_paper: dict[str, list[list[float]]] = {}
    for cid, vector in retriever.store.vectors():
        by_paper.setdefault(parse_chunk_id(cid)[0], []).append(vector)
    owners = sorted(by_paper)
    matrix = np.array([np.mean(by_paper[pid], axis=0) for pid in owners], dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)

    def search(query: list[float], n: int) -> Ranking:
        scores = matrix @ np.asarray(query, dtype=np.float32)
        best = np.argsort(-scores)[:n]
        return {owners[int(i)]: float(scores[i]) for i in best}

    return search


def sentence_side(retriever: Retriever) -> Callable[[list[float], int], Ranking]:
    """A dense search over single abstract sentences (their vectors stored at ingest): each paper is scored by its
    best-matching sentence, as a claim is checked against one rationale sentence."""
    import numpy as np

    owners, rows = [], []
    for sid, vector in retriever.store.stored_sentences():
        owners.append(parse_chunk_id(sid)[0])
        rows.append(vector)
    matrix = np.asarray(rows, dtype=np.float32)

    def search(query: list[float], n: int) -> Ranking:
        scores = matrix @ np.asarray(query, dtype=np.float32)
        out: Ranking = {}
        for i in np.argsort(-scores)[: n * 8]:
            out.setdefault(owners[int(i)], float(scores[i]))
            if len(out) == n:
                break
        return out

    return search


def prf_side(retriever: Retriever) -> Callable[[list[float], list[str], int, float, int], Ranking]:
    """Dense search again with a Rocchio query (pseudo-relevance feedback, no new embedding): the query vector plus
    `beta` times the mean of the stored vectors of the `k` best chunks of a first ranking, normalised."""
    import numpy as np

    stored = {cid: np.asarray(v, dtype=np.float32) for cid, v in retriever.store.vectors()}

    def search(query: list[float], feedback: list[str], n: int, beta: float, k: int) -> Ranking:
        if not feedback[:k]:
            return dense_side(retriever, query, n)
        q = np.asarray(query, dtype=np.float32) + beta * np.mean([stored[c] for c in feedback[:k]], axis=0)
        return dense_side(retriever, (q / np.linalg.norm(q)).tolist(), n)

    return search


def rrf(*sides: Ranking, k: int = 60) -> Ranking:
    """The product's reciprocal rank fusion over the sides' rank orders, every side weighted 1."""
    return fusion.rrf(list(sides), [1.0] * len(sides), k)


def convex(dense: Ranking, bm25: Ranking, alpha: float) -> Ranking:
    def norm(side: Ranking) -> Ranking:
        if not side:
            return {}
        lo, hi = min(side.values()), max(side.values())
        return {pid: (s - lo) / (hi - lo) if hi > lo else 1.0 for pid, s in side.items()}

    d, b = norm(dense), norm(bm25)
    return {pid: alpha * d.get(pid, 0.0) + (1 - alpha) * b.get(pid, 0.0) for pid in set(d) | set(b)}


def zfuse(sides: list[Ranking], weights: list[float]) -> Ranking:
    """The product's z-score fusion (`rag.fusion.zscore`): a paper absent from a side gets its lowest z-score."""
    return fusion.zscore(sides, weights)


def top(fused: Ranking, n: int) -> list[str]:
    return sorted(fused, key=lambda pid: (-fused[pid], pid))[:n]


def variants(
    dense: Ranking, sides: dict[str, Ranking], paper: Ranking, sentence: Ranking, prf: dict[str, Ranking]
) -> dict[str, list[str]]:
    """Every variant's top 100 papers for one question."""
    out = {"dense only": top(dense, 100), "dense over whole papers only": top(paper, 100)}
    for name, side in prf.items():
        out[f"dense PRF {name} only"] = top(side, 100)
        out[f"rrf, dense PRF {name} + BM25 chunks"] = top(rrf(side, sides["chunk k1=1.5 b=0.75"]), 100)
        out[f"rrf, dense PRF {name} + BM25 abstracts"] = top(rrf(side, sides["abstract k1=1.5 b=0.75"]), 100)
    out["dense over single sentences only"] = top(sentence, 100)
    out["rrf, dense chunks + dense sentences"] = top(rrf(dense, sentence), 100)
    for name, bm25 in sides.items():
        out[f"rrf3, dense chunks + dense sentences + BM25 {name}"] = top(rrf(dense, sentence, bm25), 100)
    out["rrf, dense chunks + dense papers"] = top(rrf(dense, paper), 100)
    chunk, abstract = sides["chunk k1=1.5 b=0.75"], sides["abstract k1=1.5 b=0.75"]
    out["rrf3, dense + BM25 chunks + BM25 abstracts"] = top(rrf(dense, chunk, abstract), 100)
    out["rrf3, dense + dense papers + BM25 chunks"] = top(rrf(dense, paper, chunk), 100)
    out["rrf3, dense + dense papers + BM25 abstracts"] = top(rrf(dense, paper, abstract), 100)
    out["rrf4, dense + dense papers + BM25 chunks + BM25 abstracts"] = top(rrf(dense, paper, chunk, abstract), 100)
    for name, bm25 in sides.items():
        out[f"BM25 only, {name}"] = top(bm25, 100)
        out[f"rrf, {name}"] = top(rrf(dense, bm25), 100)
        for alpha in ALPHAS:
            out[f"convex a={alpha}, {name}"] = top(convex(dense, bm25, alpha), 100)
            out[f"z-score a={alpha}, {name}"] = top(zfuse([dense, bm25], [alpha, 1 - alpha]), 100)
        out[f"z-score 0.4/0.2/0.4, dense chunks + dense sentences + BM25 {name}"] = top(
            zfuse([dense, sentence, bm25], [0.4, 0.2, 0.4]), 100
        )
        out[f"z-score equal, dense chunks + dense sentences + BM25 {name}"] = top(
            zfuse([dense, sentence, bm25], [1.0, 1.0, 1.0]), 100
        )
    for k1b in ("k1=1.5 b=0.75", "k1=0.9 b=0.4"):  # equal weights (CombSUM of z-scores): nothing fitted
        both = [sides[f"chunk {k1b}"], sides[f"abstract {k1b}"]]
        out[f"z-score equal, dense chunks + BM25 chunks + BM25 abstracts, {k1b}"] = top(
            zfuse([dense, *both], [1.0, 1.0, 1.0]), 100
        )
        out[f"z-score equal, all four sides, {k1b}"] = top(zfuse([dense, sentence, *both], [1.0] * 4), 100)
    return out


def collect(settings: Settings, questions: list[tuple[str, str]], n: int) -> dict[str, dict[str, list[str]]]:
    """Per question id, every variant's ranking."""
    retriever = Retriever(settings)
    searches = {
        f"{level} k1={k1} b={b}": bm25_side(retriever, level, k1, b)
        for level in ("chunk", "abstract")
        for k1, b in ((1.5, 0.75), (0.9, 0.4))
    }
    papers = paper_side(retriever)
    sentences = sentence_side(retriever)
    feedback = prf_side(retriever)
    runs: dict[str, dict[str, list[str]]] = {}
    for qid, text in questions:
        vector = retriever.embedder.embed([text])[0]
        dense, chunks = by_paper(retriever.store.nearest(vector, n))
        sides = {name: search(text, n) for name, search in searches.items()}
        hybrid = top(rrf(dense, sides["chunk k1=1.5 b=0.75"]), n)  # the shipped ranking, as the feedback
        by_dense, by_hybrid = list(chunks.values()), [chunks[p] for p in hybrid if p in chunks]
        prf = {
            f"{source} k={k} beta={beta}": feedback(vector, first, n, beta, k)
            for source, first in (("dense", by_dense), ("hybrid", by_hybrid))
            for k, beta in ((3, 0.75), (3, 0.5), (5, 0.75), (10, 0.75), (3, 1.0))
        }
        runs[qid] = variants(dense, sides, papers(vector, n), sentences(vector, n), prf)
    return runs


Collect = Callable[[Settings, list[tuple[str, str]], int], dict[str, dict[str, list[str]]]]


def seed_dev(settings: Settings, collect: Collect = collect) -> dict[str, tuple[float, float]]:
    """MRR@10 and hit@1 of each variant on the stand-alone answerable development questions."""
    from eval.dataset import DEV, load_dataset

    records = [r for r in load_dataset(DEV) if r.answerable and r.gold and not r.history]
    runs = collect(settings, [(r.id, r.question) for r in records], settings.retrieval.candidates)
    gold = {r.id: set(r.gold) for r in records}
    out = {}
    for name in next(iter(runs.values())):
        rr, hits = [], []
        for qid, by_variant in runs.items():
            ranked = by_variant[name][:10]
            first = next((i for i, pid in enumerate(ranked, 1) if pid in gold[qid]), None)
            rr.append(1 / first if first else 0.0)
            hits.append(1.0 if first == 1 else 0.0)
        out[name] = (sum(rr) / len(rr), sum(hits) / len(hits))
    return out


def training_claims(folder: Path, test: set[str]) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """SciFact's claims outside the test queries whose metadata names evidence abstracts, with those as qrels."""
    import json

    queries, qrels = {}, {}
    for line in (folder / "queries.jsonl").read_text().splitlines():
        claim = json.loads(line) if line.strip() else {}
        evidence = claim.get("metadata") or {}
        if claim and claim["_id"] not in test and evidence:
            queries[claim["_id"]] = claim["text"]
            qrels[claim["_id"]] = {doc: 1 for doc in evidence}
    return queries, qrels


def beir(
    folder: Path, settings: Settings, collect: Collect = collect
) -> tuple[dict[str, dict[str, tuple[float, float]]], dict[str, dict[str, float]]]:
    """nDCG@10 and Recall@100 of each variant on the benchmark's training claims and on its test queries, and each
    variant's nDCG@10 per training claim (for the paired bootstrap)."""
    import ir_measures
    from ir_measures import R, nDCG

    from eval.beir import beir_settings, load_queries

    bench = beir_settings(folder, settings)
    test = load_queries(folder)
    splits = {"train": training_claims(folder, set(test[0])), "test": test}
    every = [item for queries, _ in splits.values() for item in queries.items()]  # the two sets share no claim
    runs = collect(bench, every, bench.retrieval.candidates)  # the sides are built once for both sets
    out: dict[str, dict[str, tuple[float, float]]] = {}
    per_claim: dict[str, dict[str, float]] = {}
    for split, (queries, qrels) in splits.items():
        qrel_rows = [ir_measures.Qrel(q, d, rel) for q, docs in qrels.items() for d, rel in docs.items()]
        for name in runs[next(iter(queries))]:
            run = [
                ir_measures.ScoredDoc(qid, pid, 100.0 - rank)
                for qid in queries
                for rank, pid in enumerate(runs[qid][name])
            ]
            scores = ir_measures.calc_aggregate([nDCG @ 10, R @ 100], qrel_rows, run)
            out.setdefault(name, {})[split] = (scores[nDCG @ 10], scores[R @ 100])
            if split == "train":
                values = {m.query_id: m.value for m in ir_measures.iter_calc([nDCG @ 10], qrel_rows, run)}
                per_claim[name] = {qid: values.get(qid, 0.0) for qid in queries}
    return out, per_claim


def tied(per_claim: dict[str, dict[str, float]], chosen: str, rounds: int = 2000, seed: int = 0) -> list[str]:
    """The variants whose mean nDCG@10 over the training claims the paired bootstrap cannot tell from the chosen
    one's: the 95% interval of the chosen minus the variant, over claims resampled with replacement, holds 0."""
    import numpy as np

    claims = sorted(per_claim[chosen])
    best = np.asarray([per_claim[chosen][q] for q in claims])
    draws = np.random.default_rng(seed).integers(0, len(claims), size=(rounds, len(claims)))
    out = []
    for name, values in per_claim.items():
        diff = best - np.asarray([values[q] for q in claims])
        low = np.percentile(diff[draws].mean(axis=1), 2.5)
        if name != chosen and low <= 0.0:
            out.append(name)
    return out


def main(description: str = __doc__, collect: Collect = collect) -> None:
    """Parse the arguments, score every variant `collect` gives, print the table and the rule's choice."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--home", type=Path, help="index home of the seed corpus (default: the project's .rag)")
    parser.add_argument("--beir", type=Path, help="a BEIR folder already indexed by `rag eval beir`")
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.home:
        settings = settings.override(home=args.home)
    dev = seed_dev(settings, collect)
    bench, per_claim = beir(args.beir, settings, collect) if args.beir else ({}, {})
    missing = (float("nan"), float("nan"))
    print("| variant | dev MRR@10 | dev hit@1 | train nDCG@10 | train Recall@100 | test nDCG@10 | test Recall@100 |")
    print("|---|---|---|---|---|---|---|")
    for name, (mrr, hit1) in dev.items():
        (tn, tr), (ndcg, recall) = (bench.get(name, {}).get(split, missing) for split in ("train", "test"))
        print(f"| {name} | {mrr:.3f} | {hit1:.3f} | {tn:.3f} | {tr:.3f} | {ndcg:.3f} | {recall:.3f} |")
    if bench:
        chosen = max(bench, key=lambda name: bench[name]["train"][0])
        print(f"chosen by training-claim nDCG@10: {chosen} (test {bench[chosen]['test'][0]:.3f})")
        same = tied(per_claim, chosen)
        tests = [bench[name]["test"][0] for name in [chosen, *same]]
        print(
            f"the training claims cannot tell {len(same)} of the other {len(bench) - 1} variants from it (paired"
            f" bootstrap, 95%); with it, their test nDCG@10 spans {min(tests):.3f} to {max(tests):.3f}"
        )


if __name__ == "__main__":
    main()

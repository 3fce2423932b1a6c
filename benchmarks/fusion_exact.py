"""Z-score fusion with every candidate scored on every side: no missing score filled in.

    python benchmarks/fusion_exact.py [--beir ../shared/benchmarks/scifact]

`benchmarks/fusion.py` fuses what each side returned: a paper missing from one side's top candidates takes that
side's lowest score there. Here each side scores the whole corpus (dense chunks: a paper's best stored chunk
vector; dense sentences: its best stored sentence vector; dense papers: its mean chunk vector; dense titles: its
title embedded alone, here; BM25, bm25s with the product's tokeniser, over chunks, over whole abstracts, over
abstracts with the title written twice, or over single sentences, a paper taking its best), so a candidate found
by one side gets its real score on the others. The candidates are
the union of each fused side's top 100 papers. Each side is standardised (z-score) over the candidates, or over
the whole corpus, and the sides are added with equal weights (CombSUM: nothing is fitted).

Prints what `fusion.py` prints (its code does the scoring): MRR@10 and hit@1 on the seed development set and,
with `--beir`, nDCG@10 and Recall@100 on SciFact's training claims (the rule for choosing) and its test queries
(reported only). `RAG_FUSION=zscore` is the product's form of the two-sided variant over chunks (k1 1.5, b 0.75):
it standardises over the union of both sides' candidates (60 chunks each; 300 in `rag eval beir`).
"""

from __future__ import annotations

import numpy as np

from rag.config import Settings
from rag.metadata import parse_chunk_id
from rag.retrieve import Retriever
from rag.sentences import split_sentences

CANDIDATES = 100  # papers taken from each side into the union that is fused
BM25_PARAMS = ((1.5, 0.75), (0.9, 0.4))  # bm25s's defaults, Anserini's BEIR defaults
COMBOS = {
    "dense chunks + BM25 {docs}": ("chunks", "bm25 {docs}"),
    "dense chunks + dense sentences + BM25 {docs}": ("chunks", "sentences", "bm25 {docs}"),
    "dense chunks + dense sentences + BM25 chunks + BM25 abstracts": (
        "chunks",
        "sentences",
        "bm25 chunks",
        "bm25 abstracts",
    ),
    # Title handling and a whole-paper dense score (issue 12's other suggestions), standardised over the
    # candidates only: the whole corpus lost in 17 of 20 pairs above.
    "dense chunks + dense sentences + BM25 abstracts with the title twice": ("chunks", "sentences", "bm25 titled"),
    "dense chunks + dense sentences + BM25 chunks + BM25 abstracts with the title twice": (
        "chunks",
        "sentences",
        "bm25 chunks",
        "bm25 titled",
    ),
    "dense chunks + dense papers + BM25 chunks + BM25 abstracts": ("chunks", "papers", "bm25 chunks", "bm25 abstracts"),
    "all five sides (four + dense papers)": ("chunks", "sentences", "papers", "bm25 chunks", "bm25 abstracts"),
    # Each retriever at both granularities (a chunk and a sentence), and titles embedded on their own.
    "dense chunks + dense sentences + BM25 chunks + BM25 sentences": (
        "chunks",
        "sentences",
        "bm25 chunks",
        "bm25 sentences",
    ),
    "dense chunks + dense sentences + BM25 abstracts + BM25 sentences": (
        "chunks",
        "sentences",
        "bm25 abstracts",
        "bm25 sentences",
    ),
    "all four sides + dense titles": ("chunks", "sentences", "titles", "bm25 chunks", "bm25 abstracts"),
    "all six (four + BM25 sentences + dense titles)": (
        "chunks",
        "sentences",
        "titles",
        "bm25 chunks",
        "bm25 abstracts",
        "bm25 sentences",
    ),
}


BOTH_WAYS = set(list(COMBOS)[:3])  # the first runs' combinations; the later ones over the candidates only


class Corpus:
    """Every paper's score on every side for a question, as arrays indexed by paper."""

    def __init__(self, retriever: Retriever):
        import bm25s

        from rag.bm25 import _stemmer, paper_text

        store = retriever.store
        self.papers = sorted({str(m["paper_id"]) for m in store.first_chunks()})
        index = {pid: i for i, pid in enumerate(self.papers)}
        self.dense = {
            "chunks": self._matrix(store.vectors(), index),
            "sentences": self._matrix(store.stored_sentences(), index),
        }
        self.dense["papers"] = self._centroids(*self.dense["chunks"])
        pairs = list(store.documents())
        metas = list(store.first_chunks())
        titles = retriever.embedder.embed([str(m.get("title", "")) for m in metas])
        self.dense["titles"] = (
            np.asarray(titles, dtype=np.float32),
            np.asarray([index[str(m["paper_id"])] for m in metas]),
        )
        sentences = [
            (index[str(m["paper_id"])], str(m.get("abstract", ""))[a:b])
            for m in metas
            for a, b in split_sentences(str(m.get("abstract", "")))
        ]
        texts = {
            "chunks": ([index[parse_chunk_id(c)[0]] for c, _ in pairs], [t for _, t in pairs]),
            "abstracts": ([index[str(m["paper_id"])] for m in metas], [paper_text(m) for m in metas]),
            "sentences": ([i for i, _ in sentences], [t for _, t in sentences]),
            "titled": (
                [index[str(m["paper_id"])] for m in metas],
                [f"{m.get('title', '')}\n" + paper_text(m) for m in metas],
            ),
        }
        self.stemmer = _stemmer()
        self.bm25 = {}
        for docs, (owners, corpus) in texts.items():
            tokens = bm25s.tokenize(corpus, stopwords="en", stemmer=self.stemmer, show_progress=False)
            for k1, b in BM25_PARAMS:
                bm = bm25s.BM25(k1=k1, b=b)
                bm.index(tokens, show_progress=False)
                self.bm25[(docs, k1, b)] = (bm, np.asarray(owners))

    @staticmethod
    def _matrix(rows, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        owners, vectors = [], []
        for rid, vector in rows:
            owners.append(index[parse_chunk_id(rid)[0]])
            vectors.append(vector)
        return np.asarray(vectors, dtype=np.float32), np.asarray(owners)

    def _centroids(self, matrix: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each paper's mean chunk vector, normalised: one row per paper, in paper order."""
        sums = np.zeros((len(self.papers), matrix.shape[1]), dtype=np.float64)
        np.add.at(sums, owners, matrix)
        sums /= np.linalg.norm(sums, axis=1, keepdims=True).clip(min=1e-12)
        return sums.astype(np.float32), np.arange(len(self.papers))

    def _best(self, scores: np.ndarray, owners: np.ndarray) -> np.ndarray:
        out = np.full(len(self.papers), -np.inf, dtype=np.float64)
        np.maximum.at(out, owners, scores)
        out[~np.isfinite(out)] = out[np.isfinite(out)].min(initial=0.0)  # a paper with no stored sentence
        return out

    def sides(self, text: str, vector: list[float], k1: float, b: float) -> dict[str, np.ndarray]:
        """Each side's score of every paper (a paper with no BM25 term match scores 0 there)."""
        import bm25s

        q = np.asarray(vector, dtype=np.float32)
        out = {name: self._best(matrix @ q, owners) for name, (matrix, owners) in self.dense.items()}
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False)[0]
        for docs in ("chunks", "abstracts", "titled", "sentences"):
            bm, owners = self.bm25[(docs, k1, b)]
            scores = bm.get_scores(tokens) if tokens else np.zeros(len(owners))
            out[f"bm25 {docs}"] = self._best(np.asarray(scores, dtype=np.float64), owners)
        return out


def fuse(sides: list[np.ndarray], over: str) -> np.ndarray:
    """Equal-weight sum of z-scores, each side standardised over the candidates or over the whole corpus; only
    candidates are ranked."""
    pool = np.zeros(len(sides[0]), dtype=bool)
    for side in sides:
        pool[np.argsort(-side, kind="stable")[:CANDIDATES]] = True
    total = np.full(len(sides[0]), -np.inf)
    total[pool] = 0.0
    for side in sides:
        sample = side[pool] if over == "candidates" else side
        spread = sample.std() or 1.0
        total[pool] += (side[pool] - sample.mean()) / spread
    return total


def rankings(corpus: Corpus, text: str, vector: list[float]) -> dict[str, list[str]]:
    """Every variant's top 100 papers for one question."""
    out = {}
    for k1, b in BM25_PARAMS:
        sides = corpus.sides(text, vector, k1, b)
        for docs in ("chunks", "abstracts"):
            for label, names in COMBOS.items():
                if "{docs}" not in label and docs == "abstracts":
                    continue  # the fixed combinations name their BM25 sides already
                chosen = [sides[n.format(docs=docs)] for n in names]
                for over in ("candidates", "corpus") if label in BOTH_WAYS else ("candidates",):
                    name = f"exact z-score equal ({over}), {label.format(docs=docs)}, k1={k1} b={b}"
                    fused = fuse(chosen, over)
                    order = np.argsort(-fused, kind="stable")[:100]
                    out[name] = [corpus.papers[int(i)] for i in order if np.isfinite(fused[i])]
    return out


def collect(settings: Settings, questions: list[tuple[str, str]], n: int = 0) -> dict[str, dict[str, list[str]]]:
    """Per question id, every variant's ranking (`n`, the other benchmark's candidate depth, is not used)."""
    retriever = Retriever(settings)
    corpus = Corpus(retriever)
    return {qid: rankings(corpus, text, retriever.embedder.embed([text])[0]) for qid, text in questions}


if __name__ == "__main__":
    import fusion  # this folder is on the path when the script runs

    fusion.main(__doc__, collect)

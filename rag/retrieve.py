"""Hybrid retrieval: dense (Chroma) and BM25 chunk rankings, grouped by paper, fused by reciprocal rank.

Each retriever ranks chunks (BM25 may rank whole papers instead, `RetrievalSettings.bm25_documents`); a paper
takes the rank of its best chunk in each list (several chunks of one paper count once), and papers are ordered by
weighted reciprocal rank fusion, or by summed z-scores (`fusion = "zscore"`: every candidate scored on every side,
optionally a third, its best stored sentence, `rag.sentence_side`). For the top papers, every sentence of the
abstract is scored against the
question with its vector stored at ingest (`rag.evidence` chooses among them).

Chroma is asked for ids and scores only (a chunk id names its paper and version); the top papers' first chunks
(title, abstract, listing) and their sentence vectors then come in one lookup by id each, which stays a few
milliseconds at any index size where a metadata filter grows with the collection.
"""

from __future__ import annotations

import json
import threading

import numpy as np

from rag import facts, fusion
from rag.bm25 import BM25Index, BM25Spec, rebuild_from_store, saved_info
from rag.config import Settings
from rag.embed import Embedder, cosine, load_embedder
from rag.metadata import parse_chunk_id, version_id
from rag.results import Evidence, Source
from rag.sentence_side import SentenceMatrix
from rag.sentences import split_sentences
from rag.store import ChunkStore

MODES = ("hybrid", "dense", "bm25")


class Retriever:
    """Searches one index; loads the embedder, the Chroma collection and the BM25 index once."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, store: ChunkStore | None = None):
        self.settings = settings
        self.store = store or ChunkStore(settings, create=False)
        self.embedder = embedder or load_embedder(settings)
        self.bm25 = self._load_bm25()
        self._reload = threading.Lock()
        self._sentences: SentenceMatrix | None = None  # z-score fusion's sentence side, read on first use

    def _load_bm25(self) -> BM25Index:
        spec = BM25Spec.of(self.settings.retrieval)
        index = BM25Index.load(self.settings.bm25_dir, self.store.name, spec)
        if index is None or index.chunks != self.store.count():
            index = rebuild_from_store(self.store, self.settings.bm25_dir, spec)
        return index

    def sync(self) -> bool:
        """Pick up a finished ingest by another process (or thread): when the saved BM25 index's fingerprint is
        no longer the one in memory, reload it and reopen the Chroma view. Returns whether it reloaded.

        An ingest swaps the BM25 pointer in only after all its chunks are written, so until then requests keep
        the complete earlier view, and afterwards they see every new paper."""
        info = saved_info(self.settings.bm25_dir, self.store.name)
        if info is None or info["fingerprint"] == self.bm25.fingerprint:
            return False
        with self._reload:
            if info["fingerprint"] == self.bm25.fingerprint:  # another request reloaded meanwhile
                return False
            self.store.reopen()
            self._sentences = None  # read again, with the new papers' sentences, on next use
            spec = BM25Spec.of(self.settings.retrieval)
            self.bm25 = BM25Index.load(self.settings.bm25_dir, self.store.name, spec) or self.bm25
        return True

    def search(self, query: str, k: int | None = None, mode: str = "hybrid", where: dict | None = None) -> list[Source]:
        """The top `k` papers for `query`, best first, every sentence of their abstracts scored as evidence."""
        return self.search_with_vectors(query, k, mode, where)[0]

    def search_with_vectors(
        self, query: str, k: int | None = None, mode: str = "hybrid", where: dict | None = None
    ) -> tuple[list[Source], dict[str, list[float]]]:
        """`search`, plus the vectors of the papers' sentences by text, for the citation check to reuse."""
        qvec = self.embedder.embed([query])[0]  # per call: the retriever is shared by concurrent requests
        hits = self.rank(query, k or self.settings.retrieval.k, mode, where, qvec=qvec)
        if self.settings.retrieval.cover_names and mode != "dense":
            hits = self.cover_names(query, hits, where)
        vectors = self.sentence_vectors(hits)
        self._attach_evidence(qvec, hits, vectors)
        return hits, vectors

    def rank(
        self, query: str, k: int, mode: str = "hybrid", where: dict | None = None, qvec: list[float] | None = None
    ) -> list[Source]:
        """The top `k` papers without evidence sentences (what the retrieval benchmark measures)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.sync()
        r = self.settings.retrieval
        papers_of: dict[str, str] = {}  # candidate chunk id -> paper id, dense candidates first
        dense_rank: dict[str, int] = {}
        bm25_rank: dict[str, int] = {}
        best: dict[str, dict[str, float]] = {}
        if mode in ("hybrid", "dense"):
            qvec = qvec or self.embedder.embed([query])[0]
            for cid, similarity in self.store.nearest(qvec, r.candidates, where):
                papers_of[cid] = parse_chunk_id(cid)[0]
                self._note(papers_of[cid], cid, "dense", similarity, dense_rank, best)
        if mode in ("hybrid", "bm25"):
            found = self.bm25.search(query, r.candidates)
            # the filter applies to BM25's chunks too, and a chunk deleted since the BM25 index was saved is gone
            kept = self.store.present([cid for cid, _ in found if cid not in papers_of], where) | set(papers_of)
            for cid, score in found:
                if cid in kept:
                    papers_of.setdefault(cid, parse_chunk_id(cid)[0])
                    self._note(papers_of[cid], cid, "bm25", score, bm25_rank, best)
        papers = set(dense_rank) | set(bm25_rank)
        if r.fusion == "zscore" and mode == "hybrid":
            sides = self._every_side(query, qvec, papers_of, best)
            fused = fusion.zscore(sides, [r.dense_weight, r.bm25_weight, r.sentence_weight][: len(sides)])
        else:
            rankings = [sorted(ranks, key=ranks.__getitem__) for ranks in (dense_rank, bm25_rank)]
            fused = fusion.rrf(rankings, [r.dense_weight, r.bm25_weight], r.rrf_k)
        top = sorted(papers, key=lambda pid: (-fused[pid], pid))[:k]
        chunks = {pid: [cid for cid, p in papers_of.items() if p == pid] for pid in top}
        versions = {pid: parse_chunk_id(chunks[pid][0])[1] for pid in top}  # that of the paper's best chunk
        firsts = self.store.first_chunks_of(list(versions.values()))
        hits = []
        for pid in top:
            meta = firsts.get(versions[pid])
            if meta is None:  # that version was deleted since the search (a concurrent ingest replaced it)
                continue
            hits.append(
                Source(
                    n=len(hits) + 1,
                    paper_id=pid,
                    title=str(meta["title"]),
                    score=fused[pid],
                    dense=best[pid].get("dense"),
                    bm25=best[pid].get("bm25"),
                    chunk_ids=chunks[pid],
                    dates=json.loads(meta.get("dates") or "[]"),
                    url=str(meta.get("url") or ""),
                    authors=str(meta.get("authors") or ""),
                    abstract=str(meta.get("abstract") or ""),
                    evidence=[],
                    year=int(meta.get("year") or 0) or None,
                    venue=str(meta.get("venue") or ""),
                    doi=str(meta.get("doi") or ""),
                    key=str(meta.get("key") or ""),
                    content_hash=str(meta.get("content_hash") or ""),
                )
            )
        return hits

    def cover_names(self, query: str, hits: list[Source], where: dict | None = None) -> list[Source]:
        """Make room for each thing the question names ("Compare the Combiner and the Block Transformer") that no
        hit mentions: BM25 searches that name alone, and its best paper that mentions it replaces the lowest hit
        that is not the only one mentioning another asked name. A comparison then has every paper it asks about.
        The one hit that mentions every asked name goes first when BM25 ranks it first among the hits: BM25 reads
        names the embedding model does not know ("What are the three anomalies that HoME found?" had the HoME
        paper third, after TimesNet and a paper on faces, since no dense candidate was about HoME)."""
        asked = facts.phrases(query) if len(hits) >= 2 else []
        held = facts.holders(asked, [h.text for h in hits])
        for name in asked:
            if held[name]:
                continue
            found = next(
                (s for s in self.rank(name, 3, "bm25", where) if facts.mentions(s.text, name)),
                None,
            )
            if found is None or found.paper_id in {h.paper_id for h in hits}:
                continue
            only_holders = {positions[0] for positions in held.values() if len(positions) == 1}
            spare = [i for i in range(len(hits)) if i not in only_holders]
            if spare:
                hits[spare[-1]] = found
                held = facts.holders(asked, [h.text for h in hits])  # who holds what, anew
        sole = facts.sole_holder(asked, [h.text for h in hits])
        if sole and _bm25_first(hits[sole], hits):
            hits.insert(0, hits.pop(sole))
        for n, hit in enumerate(hits, 1):
            hit.n = n
        return hits

    def _every_side(
        self, query: str, qvec: list[float] | None, papers_of: dict[str, str], best: dict[str, dict[str, float]]
    ) -> list[dict[str, float]]:
        """Every candidate's score on every side, not only on the side that found it: the dense side's best
        cosine over a paper's stored chunk vectors (those BM25 indexes: every chunk, or the first with
        `bm25_documents = "papers"`), its BM25 score (0.0 when it holds no query term) and, when
        `sentence_weight` is set, the best cosine over all its stored sentence vectors (held in memory,
        `rag.sentence_side`; a candidate with none stored takes that side's lowest z-score)."""
        papers = set(papers_of.values())
        dense = {pid: s["dense"] for pid, s in best.items() if "dense" in s}
        missing = self.bm25.documents_of({pid for pid in papers if pid not in dense})
        ids, matrix = self.store.chunk_matrix([cid for cids in missing.values() for cid in cids])
        for cid, similarity in zip(ids, (matrix @ np.asarray(qvec, dtype=np.float32)).tolist() if ids else []):
            pid = parse_chunk_id(cid)[0]
            dense[pid] = max(dense.get(pid, similarity), similarity)
        sides = [dense, self.bm25.paper_scores(query, papers)]
        if self.settings.retrieval.sentence_weight > 0:
            paper_of = {parse_chunk_id(cid)[1]: pid for cid, pid in papers_of.items()}  # version -> paper
            sentence: dict[str, float] = {}
            for version, similarity in self._sentence_matrix().best(qvec, paper_of).items():
                pid = paper_of[version]
                sentence[pid] = max(sentence.get(pid, similarity), similarity)
            sides.append(sentence)
        return sides

    def _sentence_matrix(self) -> SentenceMatrix:
        """Every stored sentence vector in memory, read on first use (`rag.sentence_side`)."""
        matrix = self._sentences
        if matrix is None:
            with self._reload:
                if self._sentences is None:
                    self._sentences = SentenceMatrix(self.store.stored_sentences())
                matrix = self._sentences
        return matrix

    @staticmethod
    def _note(pid: str, cid: str, side: str, score: float, ranks: dict[str, int], best: dict) -> None:
        if pid not in ranks:
            ranks[pid] = len(ranks) + 1
        scores = best.setdefault(pid, {})
        scores[side] = max(scores.get(side, float("-inf")), score)

    @staticmethod
    def _attach_evidence(qvec: list[float], hits: list[Source], vectors: dict[str, list[float]]) -> None:
        """Score every sentence of each hit's abstract against the query (the answer step chooses among them)."""
        for hit in hits:
            for a, b in split_sentences(hit.abstract):
                text = hit.abstract[a:b]
                hit.evidence.append(Evidence(text, a, b, round(cosine(qvec, vectors[text]), 5)))

    def sentence_vectors(self, sources: list[Source]) -> dict[str, list[float]]:
        """Vectors of every sentence of the sources' abstracts, by text: stored at ingest (one lookup), embedded
        here only for what the index lacks (an index built before sentence vectors, or `stored_sentences` off)."""
        out: dict[str, list[float]] = {}
        if self.settings.retrieval.stored_sentences:
            spans = {s.paper_id: split_sentences(s.abstract) for s in sources}
            versions = {version_id(s.paper_id, s.content_hash): s for s in sources if s.content_hash}
            stored = self.store.sentence_vectors({v: len(spans[s.paper_id]) for v, s in versions.items()})
            for version, source in versions.items():
                rows = stored.get(version, [])
                if [(a, b) for a, b, _ in rows] == spans[source.paper_id]:
                    out.update((source.abstract[a:b], vec) for a, b, vec in rows)
        missing = list(
            dict.fromkeys(
                source.abstract[a:b]
                for source in sources
                for a, b in split_sentences(source.abstract)
                if source.abstract[a:b] not in out
            )
        )
        if missing:
            out.update(zip(missing, self.embedder.embed(missing)))
        return out

    def top_similarity(self, hits: list[Source]) -> float:
        """Best dense cosine among the hits."""
        return max((h.dense for h in hits if h.dense is not None), default=0.0)

    def relevant(self, hits: list[Source], query: str) -> bool:
        """Whether retrieval found something about the query: the best dense cosine reaches the floor, the BM25
        side has a clear leader (its score reaches `bm25_floor` and beats the runner-up by `bm25_margin` times),
        or the query names something (`facts.names`) and the first paper mentions all of it and leads both sides.
        Short questions that name a method ("what guarantees does MUVERA give?", "What is Perfusion?") score low
        on the dense side and, with few words to match, need not clear the BM25 margin either."""
        if self.top_similarity(hits) >= self.settings.retrieval.floor or self.bm25_leads(hits):
            return True
        return named_leader(query, hits) or titled_leader(query, hits)

    def bm25_leads(self, hits: list[Source]) -> bool:
        """Whether the BM25 side has a clear leader among the hits: its score reaches `bm25_floor` and beats the
        runner-up by `bm25_margin` times."""
        r = self.settings.retrieval
        bm25 = sorted((h.bm25 for h in hits if h.bm25 is not None), reverse=True)
        return (
            bool(bm25) and bm25[0] >= r.bm25_floor and (len(bm25) == 1 or bm25[0] >= r.bm25_margin * max(bm25[1], 1e-9))
        )

    def named(self, query: str, hits: list[Source]) -> bool:
        """Whether the first hit is the paper the question names: it alone mentions every name the question holds
        (`facts.phrases`), and it leads BM25 clearly (which reads names like "HoME" or "HSIC" that the embedding
        model does not know, so no sentence may match the question by similarity), or it is the paper whose title
        carries the name (`titled_leader`)."""
        asked = facts.phrases(query)
        sole = bool(hits) and facts.sole_holder(asked, [h.text for h in hits]) == 0
        return (sole and self.bm25_leads(hits) and _bm25_first(hits[0], hits)) or titled_leader(query, hits)


def _bm25_first(hit: Source, hits: list[Source]) -> bool:
    """Whether BM25 scores `hit` above every other hit."""
    return (hit.bm25 or 0.0) > 0 and all((hit.bm25 or 0.0) > (h.bm25 or 0.0) for h in hits if h is not hit)


def named_leader(query: str, hits: list[Source]) -> bool:
    """Whether the query names something and the first hit both mentions every name and leads both retrievers.

    "What is Perfusion?" names Perfusion; when the Perfusion paper is first by dense similarity and by BM25 among
    the hits, retrieval found what was asked about however short the question (a name alone scores low on both).
    """
    asked = facts.names(query)
    if not hits or not asked:
        return False
    first = hits[0]
    if not all(facts.mentions(first.text, name) for name in asked):
        return False
    dense, bm25 = [h.dense or 0.0 for h in hits], [h.bm25 or 0.0 for h in hits]
    return dense[0] == max(dense) and bm25[0] == max(bm25) and bm25[0] > 0


def titled_leader(query: str, hits: list[Source]) -> bool:
    """Whether the first hit is the paper named by a distinctive name in the query (two capitals or a digit, and
    its title's head before the colon, as the title writes it: "HoME: Hierarchy of ...") and BM25 ranks it above
    every other hit.

    The embedding model may not know such a name at all: "Tell me about the HoME paper" found the HoME paper by
    BM25 alone (3.2, below the floor of 4.0, with no dense score), and was declined as "nothing relevant". A title
    that only holds a name ("Scaling MLPs: ...", "... adversarially-robust CNNs?") does not name its paper.
    """
    if not hits or not _bm25_first(hits[0], hits) or ":" not in hits[0].title:
        return False
    head = hits[0].title.split(":", 1)[0].strip()
    return any(facts.distinctive(name) and name == head for name in facts.names(query))

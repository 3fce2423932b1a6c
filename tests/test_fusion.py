"""Z-score fusion: every candidate scored on both sides, each side standardised, summed with the weights."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from rag import fusion
from rag.config import ChunkSettings, RetrievalSettings, Settings
from rag.embed import cosine
from rag.errors import ConfigError
from rag.ingest import ingest
from rag.metadata import parse_chunk_id
from rag.retrieve import Retriever
from tests.conftest import write_jsonl

TOPICS = ["convolution kernels", "zeta function zeros", "robot grasping", "protein folding", "graph coloring"]
PAPERS = [
    {
        "id": f"p{i}",
        "title": f"A study of {topic}",
        "abstract": f"We study {topic} and {TOPICS[(i + 1) % len(TOPICS)]}. Results on {topic} improve by {i}%.",
    }
    for i, topic in enumerate(TOPICS)
]


@pytest.fixture
def settings(hash_settings: Settings, tmp_path: Path) -> Settings:
    source = tmp_path / "p.jsonl"
    write_jsonl(source, PAPERS)
    s = replace(
        hash_settings,
        chunk=ChunkSettings(target_tokens=20),
        retrieval=RetrievalSettings(k=5, candidates=2, fusion="zscore"),  # two candidates: the sides disagree
    )
    ingest([source], s, progress=False)
    return s


def brute_force(retriever: Retriever, query: str) -> tuple[dict[str, float], dict[str, float]]:
    """Every paper's best cosine over all its stored chunk vectors, and its best BM25 score over all chunks."""
    qvec = retriever.embedder.embed([query])[0]
    dense: dict[str, float] = {}
    for cid, vector in retriever.store.vectors():
        pid = parse_chunk_id(cid)[0]
        dense[pid] = max(dense.get(pid, -1.0), cosine(qvec, vector))
    bm25 = {p["id"]: 0.0 for p in PAPERS}
    for cid, score in retriever.bm25.search(query, 1000):
        pid = parse_chunk_id(cid)[0]
        bm25[pid] = max(bm25[pid], score)
    return dense, bm25


@pytest.mark.parametrize("query", ["zeta function zeros and robot grasping", "protein folding improves", "graph"])
def test_each_candidate_is_ranked_by_its_real_scores_on_both_sides(settings: Settings, query: str) -> None:
    retriever = Retriever(settings)
    hits = retriever.rank(query, 5)
    dense, bm25 = brute_force(retriever, query)
    candidates = {h.paper_id for h in hits}
    assert candidates == {h.paper_id for h in replace_fusion(retriever, "rrf").rank(query, 5)}  # the same pool
    expected = fusion.zscore(
        [{p: dense[p] for p in candidates}, {p: bm25[p] for p in candidates}], [1.0, 1.0]
    )  # found by one side or both, each paper is scored on both
    for hit in hits:
        assert hit.score == pytest.approx(expected[hit.paper_id])
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_paper_only_bm25_found_gets_its_dense_score_from_its_stored_chunks(settings: Settings) -> None:
    retriever = Retriever(settings)
    query = "graph coloring convolution kernels"
    best: dict[str, dict[str, float]] = {}
    for cid, score in retriever.bm25.search(query, 1):  # BM25 alone found this paper; the dense side has nothing
        best.setdefault(parse_chunk_id(cid)[0], {})["bm25"] = score
    found = {cid: parse_chunk_id(cid)[0] for cid, _ in retriever.bm25.search(query, 1)}
    dense_side, bm25_side = retriever._every_side(query, retriever.embedder.embed([query])[0], found, best)
    dense, bm25 = brute_force(retriever, query)
    assert dense_side == pytest.approx({p: dense[p] for p in best})
    assert bm25_side == pytest.approx({p: bm25[p] for p in best})


@pytest.mark.parametrize("query", ["zeta function zeros and robot grasping", "protein folding improves", "graph"])
def test_a_sentence_side_scores_each_candidate_by_its_best_stored_sentence(settings: Settings, query: str) -> None:
    # 10 chunks hold 4 or 5 papers: with 2, each side's z-scores are -1 and 1 whatever the scores
    three = replace(settings, retrieval=replace(settings.retrieval, sentence_weight=1.0, candidates=10))
    retriever = Retriever(three)
    hits = retriever.rank(query, 5)
    dense, bm25 = brute_force(retriever, query)
    qvec = retriever.embedder.embed([query])[0]
    sentence: dict[str, float] = {}
    for sid, vector in retriever.store.stored_sentences():
        pid = parse_chunk_id(sid.rsplit("#", 1)[0] + "#0")[0]
        sentence[pid] = max(sentence.get(pid, -1.0), cosine(qvec, vector))
    candidates = {h.paper_id for h in hits}
    assert candidates == {h.paper_id for h in replace_fusion(retriever, "rrf").rank(query, 5)}  # it adds none
    expected = fusion.zscore([{p: side[p] for p in candidates} for side in (dense, bm25, sentence)], [1.0] * 3)
    assert {h.paper_id: h.score for h in hits} == pytest.approx(expected, rel=1e-3)  # held as float16
    assert expected != pytest.approx(
        fusion.zscore([{p: side[p] for p in candidates} for side in (dense, bm25)], [1.0] * 2)
    )


def test_the_sentence_side_sees_the_sentences_of_papers_ingested_after_it_was_read(
    settings: Settings, tmp_path: Path
) -> None:
    three = replace(settings, retrieval=replace(settings.retrieval, sentence_weight=1.0, candidates=4))
    retriever = Retriever(three)
    retriever.rank("graph coloring", 5)
    before = len(retriever._sentence_matrix())
    new = {"id": "new", "title": "Graph coloring at scale", "abstract": "We color graphs. It is fast. It is exact."}
    ingest([write_jsonl(tmp_path / "new.jsonl", [*PAPERS, new])], three, progress=False)
    hits = retriever.rank("graph coloring at scale", 5)  # the same retriever, as a server's is
    assert len(retriever._sentence_matrix()) == before + 3
    assert "new" in {h.paper_id for h in hits}


def test_dense_or_bm25_alone_is_not_fused(settings: Settings) -> None:
    retriever = Retriever(settings)
    for mode in ("dense", "bm25"):
        hits = retriever.rank("robot grasping", 5, mode)
        assert hits == replace_fusion(retriever, "rrf").rank("robot grasping", 5, mode)


def test_the_fusion_rule_is_a_checked_setting_read_from_the_environment() -> None:
    assert RetrievalSettings().fusion == "rrf"
    assert Settings.from_env({"RAG_FUSION": "zscore"}).retrieval.fusion == "zscore"
    with pytest.raises(ConfigError, match="fusion must be one of rrf, zscore, got 'combsum'"):
        Settings.from_env({"RAG_FUSION": "combsum"})
    assert RetrievalSettings().sentence_weight == 0.0  # off: two sides
    assert Settings.from_env({"RAG_SENTENCE_WEIGHT": "1"}).retrieval.sentence_weight == 1.0
    with pytest.raises(ConfigError, match="sentence_weight must not be negative, got -1"):
        RetrievalSettings(sentence_weight=-1.0)


def replace_fusion(retriever: Retriever, rule: str) -> Retriever:
    settings = replace(retriever.settings, retrieval=replace(retriever.settings.retrieval, fusion=rule))
    return Retriever(settings, embedder=retriever.embedder, store=retriever.store)

"""Hybrid retrieval over a real Chroma collection and a BM25 index saved by ingest."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from rag.bm25 import BM25Index, BM25Spec
from rag.config import ChunkSettings, RetrievalSettings, Settings
from rag.errors import ConfigError
from rag.ingest import ingest
from rag.metadata import parse_chunk_id
from rag.results import Source
from rag.retrieve import Retriever, named_leader, titled_leader
from tests.conftest import write_jsonl

LONG = " ".join(f"Sentence {i} describes convolution kernels for image denoising." for i in range(12))
PAPERS = [
    {"id": "long", "title": "Denoising with convolutions", "abstract": LONG},
    {"id": "zeta", "title": "Zeta functions", "abstract": "We study the Riemann zeta function. Zeros lie on a line."},
    {"id": "rl", "title": "Reinforcement learning for robots", "abstract": "Robots learn grasping with rewards."},
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    source = tmp_path / "p.jsonl"
    write_jsonl(source, PAPERS)
    s = Settings(
        home=tmp_path / "home",
        embed_model="hash:256",
        chunk=ChunkSettings(target_tokens=40),
        retrieval=RetrievalSettings(k=3),
    )
    ingest([source], s, progress=False)
    return s


def test_ingest_saves_bm25_and_retriever_loads_it(settings: Settings) -> None:
    pointer = settings.bm25_dir / f"{settings.collection_name()}.json"
    assert pointer.exists()
    before = pointer.stat().st_mtime_ns
    retriever = Retriever(settings)
    assert pointer.stat().st_mtime_ns == before  # loaded, not rebuilt
    assert len(retriever.bm25.ids) == retriever.bm25.chunks == retriever.store.collection.count()


def test_stale_bm25_is_rebuilt(settings: Settings) -> None:
    BM25Index.build(["x"], ["nothing"]).save(settings.bm25_dir, settings.collection_name())
    retriever = Retriever(settings)
    assert len(retriever.bm25.ids) == retriever.bm25.chunks == retriever.store.collection.count()


def papers_level(settings: Settings) -> Settings:
    return replace(settings, retrieval=replace(settings.retrieval, bm25_documents="papers"))


def test_bm25_over_papers_holds_each_title_and_whole_abstract_as_one_document(settings: Settings) -> None:
    retriever = Retriever(papers_level(settings))
    assert all(cid.endswith("#0") for cid in retriever.bm25.ids)  # each paper's first chunk id names it
    assert len(retriever.bm25.ids) == len(PAPERS) < retriever.store.collection.count()  # "long" has several chunks
    texts = {p["id"]: f"{p['title']}\n{p['abstract']}" for p in PAPERS}
    whole = BM25Index.build(list(texts), list(texts.values()))  # BM25 over the papers as one document each
    for query in ("denoising sentence 11", "riemann zeta zeros", "robots grasping rewards", "convolution line"):
        got = {parse_chunk_id(cid)[0]: round(score, 5) for cid, score in retriever.bm25.search(query, 3)}
        assert got == {pid: round(score, 5) for pid, score in whole.search(query, 3)}
    assert [h.paper_id for h in retriever.rank("grasping", 3, mode="bm25")] == ["rl"]


def test_a_saved_bm25_index_of_other_documents_is_rebuilt_with_the_configured_ones(settings: Settings) -> None:
    pointer = settings.bm25_dir / f"{settings.collection_name()}.json"
    earlier = {k: v for k, v in json.loads(pointer.read_text()).items() if k in ("folder", "fingerprint", "count")}
    pointer.write_text(json.dumps(earlier))  # a pointer saved before it named its documents: chunks
    assert len(Retriever(settings).bm25.ids) > len(PAPERS) and json.loads(pointer.read_text()) == earlier
    assert len(Retriever(papers_level(settings)).bm25.ids) == len(PAPERS)
    assert json.loads(pointer.read_text())["documents"] == "papers"
    assert len(Retriever(settings).bm25.ids) == Retriever(settings).store.collection.count()  # and back


def test_bm25_k1_and_b_are_fixed_when_the_index_is_built_and_one_built_with_others_is_rebuilt(
    settings: Settings,
) -> None:
    pointer = settings.bm25_dir / f"{settings.collection_name()}.json"
    tuned = replace(settings, retrieval=replace(settings.retrieval, bm25_k1=0.9, bm25_b=0.4))
    retriever = Retriever(tuned)
    assert {k: json.loads(pointer.read_text())[k] for k in ("k1", "b")} == {"k1": 0.9, "b": 0.4}
    pairs = list(retriever.store.documents())
    ids, texts = [cid for cid, _ in pairs], [text for _, text in pairs]
    expected = BM25Index.build(ids, texts, spec=BM25Spec("chunks", 0.9, 0.4))
    default = BM25Index.build(ids, texts)

    def top(index: BM25Index) -> dict[str, float]:
        return dict(index.search("denoising sentence 11", 3))

    assert top(retriever.bm25) == pytest.approx(top(expected))
    assert top(retriever.bm25) != pytest.approx(top(default))  # the parameters matter
    assert top(Retriever(settings).bm25) == pytest.approx(top(default))  # and back
    assert json.loads(pointer.read_text())["k1"] == 1.5


def test_what_bm25_indexes_is_a_setting_checked_when_made() -> None:
    assert Settings().retrieval.bm25_documents == "chunks"
    assert Settings.from_env({"RAG_BM25_DOCUMENTS": "papers"}).retrieval.bm25_documents == "papers"
    with pytest.raises(ConfigError, match="bm25_documents must be one of chunks, papers, got 'sentences'"):
        RetrievalSettings(bm25_documents="sentences")
    tuned = Settings.from_env({"RAG_BM25_K1": "0.9", "RAG_BM25_B": "0.4"}).retrieval
    assert (tuned.bm25_k1, tuned.bm25_b) == (0.9, 0.4)
    with pytest.raises(ConfigError, match="RAG_BM25_K1 must be a number, got 'high'"):
        Settings.from_env({"RAG_BM25_K1": "high"})
    with pytest.raises(ConfigError, match="bm25_b within"):
        RetrievalSettings(bm25_b=1.5)


def test_an_ingest_builds_bm25_over_the_configured_documents(tmp_path: Path, settings: Settings) -> None:
    papers = papers_level(replace(settings, home=tmp_path / "papers-home"))
    source = tmp_path / "p.jsonl"
    ingest([source], papers, progress=False)
    info = json.loads((papers.bm25_dir / f"{papers.collection_name()}.json").read_text())
    assert info["documents"] == "papers" and info["count"] == len(PAPERS) < info["chunks"]


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_papers_are_grouped_and_ranked(settings: Settings, mode: str) -> None:
    retriever = Retriever(settings)
    hits = retriever.search("riemann zeta function zeros", mode=mode)
    assert hits[0].paper_id == "zeta"
    assert len({h.paper_id for h in hits}) == len(hits)  # a paper's chunks count once


def test_long_paper_groups_chunks_and_scores_every_sentence_as_evidence(settings: Settings) -> None:
    retriever = Retriever(settings)
    [hit] = retriever.search("convolution kernels image denoising sentence 7", k=1)
    assert hit.paper_id == "long" and len(hit.chunk_ids) > 1
    assert len(hit.evidence) == 12  # every sentence of the abstract, each scored against the query
    for evidence in hit.evidence:
        assert hit.abstract[evidence.start : evidence.end] == evidence.text
    best = max(hit.evidence, key=lambda e: e.score)
    assert best.text.startswith("Sentence 7 ")
    assert hit.dense is not None and hit.bm25 is not None


def test_bm25_only_finds_exact_terms(settings: Settings) -> None:
    hits = Retriever(settings).rank("grasping", 3, mode="bm25")
    assert [h.paper_id for h in hits] == ["rl"]


def test_concurrent_searches_return_what_each_returns_alone(settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    retriever = Retriever(settings)  # one retriever shared by every request, as in the server
    questions = [p["title"] for p in PAPERS] + ["riemann zeta zeros", "robot grasping policy", "image denoising"]

    def found(question: str) -> list[tuple[str, list[tuple[str, float]]]]:
        return [(h.paper_id, [(e.text, e.score) for e in h.evidence]) for h in retriever.search(question)]

    alone = {q: found(q) for q in questions}
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda q: (q, found(q)), questions * 12))
    mismatches = [q for q, result in together if result != alone[q]]
    assert mismatches == []


class Recording:
    """A Chroma collection that records how it is asked (method, filter, what is included)."""

    def __init__(self, collection, calls: list):
        self._collection, self._calls = collection, calls

    def __getattr__(self, name):
        method = getattr(self._collection, name)

        def record(*args, **kwargs):
            self._calls.append((name, kwargs.get("where"), tuple(kwargs.get("include") or ())))
            return method(*args, **kwargs)

        return record


def test_a_search_asks_chroma_by_id_never_by_a_metadata_scan(settings: Settings) -> None:
    """A metadata filter's cost grows with the collection (250 ms at 100,000 papers); lookups by id do not. So a
    search is one nearest-neighbour query for ids and scores, then lookups by id: BM25's chunks, the top papers'
    first chunks, their sentence vectors."""
    retriever = Retriever(settings)
    calls: list = []
    retriever.store.collection = Recording(retriever.store.collection, calls)
    retriever.store.sentences = Recording(retriever.store.sentences, calls)
    hits = retriever.search("riemann zeta function zeros")
    assert hits[0].paper_id == "zeta" and hits[0].abstract.startswith("We study") and hits[0].evidence
    names = [name for name, _, _ in calls]
    assert names[0] == "query" and set(names[1:]) == {"get"} and len(names) <= 4  # BM25's lookup when it adds any
    assert all(where is None for _, where, _ in calls)
    assert calls[0][2] == ("distances",)  # no metadata with the neighbours


def test_a_filter_applies_to_both_sides_and_is_the_only_where(settings: Settings) -> None:
    retriever = Retriever(settings)
    calls: list = []
    retriever.store.collection = Recording(retriever.store.collection, calls)
    only_zeta = {"paper_id": "zeta"}
    hits = retriever.search("convolution kernels riemann zeta robots", where=only_zeta)
    assert [h.paper_id for h in hits] == ["zeta"]
    assert [where for _, where, _ in calls if where is not None] == [only_zeta] * (len(calls) - 1)  # all but firsts


ATTENTION = [
    {"id": "combiner", "title": "Combiner: full attention at low cost",
     "abstract": "We propose Combiner: it reduces the cost of attention in a transformer, full attention per head."},
    {"id": "block", "title": "Global-to-local language modeling",
     "abstract": "The Block Transformer isolates global modeling in lower layers to shrink the KV cache."},
] + [
    {"id": f"linear-{i}", "title": f"Reducing the cost of attention, part {i}",
     "abstract": f"Kernel {i} reduces the cost of attention in a transformer: how to reduce attention cost."}
    for i in range(6)
]  # fmt: skip


def attention_settings(tmp_path: Path, **retrieval: object) -> Settings:
    source = tmp_path / "attention.jsonl"
    write_jsonl(source, ATTENTION)
    s = Settings(home=tmp_path / "home", embed_model="hash:256", retrieval=RetrievalSettings(k=2, **retrieval))
    ingest([source], s, progress=False)
    return s


def test_a_comparison_gets_a_paper_for_each_thing_it_names(tmp_path: Path) -> None:
    question = "Compare how the Combiner and the Block Transformer reduce the cost of attention."
    retriever = Retriever(attention_settings(tmp_path))
    assert "block" not in [h.paper_id for h in retriever.rank(question, 2)]  # the fused ranking alone misses it
    hits = retriever.search(question, 2)
    assert sorted(h.paper_id for h in hits) == ["block", "combiner"]
    assert [h.n for h in hits] == [1, 2] and all(h.evidence for h in hits)


def test_names_no_paper_mentions_change_nothing(tmp_path: Path) -> None:
    retriever = Retriever(attention_settings(tmp_path))
    question = "How does the Perceiver reduce the cost of attention?"
    assert [h.paper_id for h in retriever.search(question, 2)] == [h.paper_id for h in retriever.rank(question, 2)]


def test_the_name_cover_can_be_switched_off(tmp_path: Path) -> None:
    retriever = Retriever(attention_settings(tmp_path, cover_names=False))
    question = "Compare how the Combiner and the Block Transformer reduce the cost of attention."
    assert "block" not in [h.paper_id for h in retriever.search(question, 2)]


def hit(n: int, title: str, abstract: str, dense: float, bm25: float) -> Source:
    return Source(n, f"p{n}", title, [], "", "", abstract, [], 0.0, dense=dense, bm25=bm25)


def test_a_named_leader_must_mention_every_name_and_lead_both_retrievers() -> None:
    perfusion = hit(1, "Key-locked rank one editing", "Perfusion personalizes text-to-image models.", 0.24, 3.1)
    other = hit(2, "Diffusion models", "Diffusion models generate images.", 0.15, 1.2)
    assert named_leader("What is Perfusion?", [perfusion, other])
    assert not named_leader("what is it about?", [perfusion, other])  # names nothing
    assert not named_leader("Is Perfusion better than DreamBooth?", [perfusion, other])  # DreamBooth unmentioned
    assert not named_leader("What is Perfusion?", [perfusion, replace(other, bm25=4.0)])  # BM25 prefers another
    assert not named_leader("What is Perfusion?", [perfusion, replace(other, dense=0.3)])  # so does the dense side


def test_the_paper_titled_with_a_distinctive_name_the_question_holds_is_found_by_bm25_alone(
    settings: Settings,
) -> None:
    # "Tell me about the HoME paper": the embedding model does not know "HoME" (no dense score at all), BM25 ranks
    # the HoME paper first below its floor, and the question was declined as "no indexed abstract is relevant"
    home = hit(1, "HoME: Hierarchy of Multi-Gate Experts", "Experts collapse in multi-task models.", None, 3.2)
    other = hit(2, "Graph networks", "Graph networks for a paper about homes.", 0.21, 0.9)
    retriever = Retriever(settings)
    question = "Tell me about the HoME paper"
    assert titled_leader(question, [home, other])
    assert retriever.relevant([home, other], question) and retriever.named(question, [home, other])
    assert not titled_leader(question, [home, replace(other, bm25=3.5)])  # BM25 prefers another
    plain = replace(home, title="Zoology: Measuring recall")
    assert not titled_leader("Tell me about the Zoology paper", [plain, other])  # a plain word, not a name
    held = replace(home, title="Scaling MLPs: A Tale of Inductive Bias")
    assert not titled_leader("Do MLPs scale?", [held, other])  # the title holds the name, it is not the paper's
    assert not titled_leader("Tell me about the HoME paper", [replace(home, title="Gated experts"), other])


def test_the_one_paper_mentioning_what_the_question_names_goes_first_when_bm25_ranks_it_first(
    settings: Settings,
) -> None:
    retriever = Retriever(settings)
    times = hit(1, "Temporal variation", "TimesNet finds anomalies in time series.", 0.16, 2.6)
    faces = hit(2, "Faces and hats", "Three kinds of visual features are found.", 0.12, 3.1)
    home = hit(3, "Hierarchy of gated experts", "HoME observes three anomalies: expert collapse, ...", 0.11, 6.9)
    question = "What are the three anomalies that HoME found?"  # the embedding model does not know "HoME"
    hits = retriever.cover_names(question, [times, faces, home])
    assert [h.title for h in hits] == ["Hierarchy of gated experts", "Temporal variation", "Faces and hats"]
    assert [h.n for h in hits] == [1, 2, 3] and retriever.named(question, hits)
    weak = replace(home, bm25=2.0)  # BM25 does not put it first: the order stands
    assert retriever.cover_names(question, [times, faces, weak])[0].title == "Temporal variation"

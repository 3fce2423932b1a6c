"""Sentence vectors are computed once, at ingest, and looked up at query time: evidence selection and the citation
check embed no abstract sentence; an index without them still answers; old versions' vectors go with their chunks."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from rag.embed import HashEmbedder
from rag.ingest import ingest
from rag.metadata import version_id
from rag.pipeline import Pipeline
from rag.retrieve import Retriever
from rag.sentences import split_sentences
from rag.store import ChunkStore
from tests.conftest import write_jsonl
from tests.fakes import ScriptedLLM
from tests.test_pipeline import PAPERS, index_papers

SPAM = "Which optimizer is more stable than Adam for 4-bit training?"


class CountingEmbedder(HashEmbedder):
    """The test embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__(256)
        self.seen: list[str] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.seen.extend(texts)
        return super().embed(texts)


def abstract_sentences() -> set[str]:
    return {p["abstract"][a:b] for p in PAPERS for a, b in split_sentences(p["abstract"])}


def test_evidence_uses_the_stored_vectors_and_scores_as_before(tmp_path: Path) -> None:
    settings = index_papers(tmp_path)
    embedder = CountingEmbedder()
    hits = Retriever(settings, embedder).search(SPAM)
    assert embedder.seen == [SPAM]  # the question alone: no sentence embedded at query time
    old_path = replace(settings, retrieval=replace(settings.retrieval, stored_sentences=False))
    before = Retriever(old_path, HashEmbedder(256)).search(SPAM)
    assert [h.evidence for h in hits] == [h.evidence for h in before] and hits[0].evidence


def test_answering_embeds_no_abstract_sentence(tmp_path: Path) -> None:
    settings = index_papers(tmp_path)
    embedder = CountingEmbedder()
    llm = ScriptedLLM(["Stable-SPAM is more stable than Adam under low precision [1]."])
    answer = Pipeline(settings, embedder=embedder, llm=llm).ask(SPAM)
    assert answer.mode == "generated" and answer.sentences[0].citations == [1]
    assert not set(embedder.seen) & abstract_sentences()


def test_an_index_without_sentence_vectors_embeds_them_per_question(tmp_path: Path) -> None:
    settings = index_papers(tmp_path)
    store = ChunkStore(settings, create=False)
    store.client.delete_collection(store.sentences_name)  # as an index built before sentence vectors
    embedder = CountingEmbedder()
    hits = Retriever(settings, embedder, ChunkStore(settings, create=False)).search(SPAM)
    assert hits[0].paper_id == "spam" and hits[0].evidence
    assert {e.text for e in hits[0].evidence} <= set(embedder.seen)


def test_old_versions_and_pruned_papers_take_their_sentence_vectors_along(tmp_path: Path) -> None:
    settings = index_papers(tmp_path)
    store = ChunkStore(settings, create=False)
    assert store.sentences.count() == len(abstract_sentences())
    source = tmp_path / "papers.jsonl"
    changed = [{**PAPERS[0], "abstract": "Stable-SPAM trains in 4 bits. It beats Adam."}, *PAPERS[1:]]
    write_jsonl(source, changed)
    ingest([source], settings, progress=False)
    [spam] = Retriever(settings, HashEmbedder(256)).search(SPAM, k=1)
    stored = store.sentence_vectors({version_id(spam.paper_id, spam.content_hash): 5})  # asks for more than stored
    assert [len(v) for v in stored.values()] == [2]
    assert store.sentences.count() == len(abstract_sentences()) - 3 + 2  # the old version's 3 are gone
    source.write_text(json.dumps(changed[0]) + "\n")
    ingest([source], settings, prune=True, progress=False)
    assert store.sentences.count() == 2


def test_the_next_ingest_backfills_an_older_index(tmp_path: Path) -> None:
    settings = index_papers(tmp_path)
    store = ChunkStore(settings, create=False)
    store.client.delete_collection(store.sentences_name)  # as an index built before sentence vectors
    summary = ingest([tmp_path / "papers.jsonl"], settings, progress=False)
    assert (summary.unchanged, summary.chunks_embedded) == (3, 0)
    assert summary.sentences_backfilled == len(abstract_sentences())
    embedder = CountingEmbedder()
    Retriever(settings, embedder, ChunkStore(settings, create=False)).search(SPAM)
    assert embedder.seen == [SPAM]
    assert ingest([tmp_path / "papers.jsonl"], settings, progress=False).sentences_backfilled == 0

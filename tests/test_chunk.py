"""Chunks follow sentences, carry the title, keep offsets, and fit the model's 256-word-piece limit."""

from __future__ import annotations

from itertools import pairwise

import pytest

from rag.chunk import chunk_papers
from rag.config import ChunkSettings, IngestSettings
from rag.embed import HashEmbedder
from rag.parsers import load_sources
from rag.records import Paper
from tests.conftest import DATA


def _paper(abstract: str, title: str = "A Title") -> Paper:
    return Paper(paper_id="p", title=title, abstract=abstract)


def test_chunks_follow_sentences_and_keep_offsets() -> None:
    sentences = [f"Sentence number {i} says something about topic {i}." for i in range(30)]
    paper = _paper(" ".join(sentences))
    counter = HashEmbedder().count_tokens
    chunks = chunk_papers([paper], counter, ChunkSettings(target_tokens=40, overlap_sentences=1))[0]
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.text == "A Title\n" + paper.abstract[chunk.start : chunk.end]
        assert chunk.start == chunk.sentences[0][0] and chunk.end == chunk.sentences[-1][1]
        assert all(paper.abstract[a:b] in sentences for a, b in chunk.sentences)
    # consecutive chunks share exactly one sentence, and together they cover every sentence
    for prev, nxt in pairwise(chunks):
        assert prev.sentences[-1] == nxt.sentences[0]
    covered = {s for c in chunks for s in c.sentences}
    assert len(covered) == 30
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_overlong_sentence_is_cut_at_words() -> None:
    paper = _paper(" ".join(f"word{i}" for i in range(1000)) + ".")
    counter = HashEmbedder().count_tokens
    chunks = chunk_papers([paper], counter, ChunkSettings(max_tokens=64, target_tokens=64))[0]
    assert len(chunks) > 10
    assert max(counter([c.text for c in chunks])) + 2 <= 64
    words = " ".join(paper.abstract[a:b] for c in chunks for a, b in c.sentences).split()
    assert words == paper.abstract.split()


def test_no_title_prefix_when_disabled() -> None:
    paper = _paper("One sentence. Another one.")
    chunks = chunk_papers([paper], HashEmbedder().count_tokens, ChunkSettings(title_prefix=False))[0]
    assert chunks[0].text == "One sentence. Another one."


@pytest.mark.slow
@pytest.mark.parametrize("settings", [ChunkSettings(), ChunkSettings(target_tokens=256, overlap_sentences=0)])
def test_every_corpus_chunk_fits_the_real_tokenizer(real_embedder, settings: ChunkSettings) -> None:
    papers = list(load_sources([DATA], IngestSettings()).papers.values())
    chunked = chunk_papers(papers, real_embedder.count_tokens, settings)
    texts = [c.text for chunks in chunked for c in chunks]
    tokenizer = real_embedder.model.tokenizer
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]]
    assert real_embedder.max_tokens == 256
    assert max(lengths) <= 256
    for paper, chunks in zip(papers, chunked):
        assert all(c.text.startswith(paper.title + "\n") for c in chunks)
        assert {s for c in chunks for s in c.sentences} >= set(chunks[0].sentences)
        assert chunks[-1].end == len(paper.abstract.rstrip())

"""The BM25 side: the top `k` of the chunks that hold a query term, as bm25s itself ranks them."""

from __future__ import annotations

import random

import bm25s

from rag.bm25 import BM25Index, _stemmer

WORDS = "gradient noise attention kernel sparse adapter graph speech retrieval vector cache decoding".split()


def corpus(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(3, 12))) for _ in range(n)]


def test_search_returns_what_bm25s_retrieve_returns() -> None:
    texts = corpus(400)
    index = BM25Index.build([f"c{i}" for i in range(len(texts))], texts)
    for query in ("sparse attention kernel", "speech adapter", "gradient noise decoding cache", "vector"):
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
        docs, scores = index.retriever.retrieve(tokens, k=25, show_progress=False, n_threads=1)
        expected = {f"c{int(d)}": round(float(s), 5) for d, s in zip(docs[0], scores[0]) if s > 0}
        got = index.search(query, 25)
        assert len(got) == len(expected)
        assert [round(s, 5) for _, s in got] == sorted(expected.values(), reverse=True)
        # the same chunks, up to the order of equal scores at the cut
        cut = min(expected.values())
        assert {c for c, s in got if round(s, 5) > cut} == {c for c, s in expected.items() if s > cut}


def test_only_chunks_holding_a_query_term_are_returned() -> None:
    index = BM25Index.build(["a", "b", "c"], ["sparse attention", "graph neural network", "sparse graph"])
    assert [cid for cid, _ in index.search("attention", 10)] == ["a"]
    assert {cid for cid, _ in index.search("sparse graph", 10)} == {"a", "b", "c"}
    assert index.search("quantum", 10) == [] and index.search("the of", 10) == []
    assert [cid for cid, _ in index.search("sparse graph", 1)] == ["c"]  # holds both terms

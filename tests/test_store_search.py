"""The dense search finds the nearest chunks themselves, not whichever ones Chroma's HNSW graph happens to reach."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from rag.config import Settings
from rag.store import ChunkStore

CHUNKS, DIM, CANDIDATES = 1500, 64, 60


def fill(store: ChunkStore, seed: int = 0) -> np.ndarray:
    """Random unit vectors (the worst case for a graph index) written straight into the chunk collection."""
    vectors = np.random.default_rng(seed).normal(size=(CHUNKS, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"p{i}#v{i}#0" for i in range(CHUNKS)]
    for start in range(0, CHUNKS, 500):
        store.collection.add(ids=ids[start : start + 500], embeddings=vectors[start : start + 500].tolist())
    return vectors


def exact(vectors: np.ndarray, query: np.ndarray) -> list[str]:
    return [f"p{i}#v{i}#0" for i in np.argsort(-(vectors @ query))[:CANDIDATES]]


def test_a_search_returns_the_exact_nearest_chunks(hash_settings: Settings) -> None:
    narrow = replace(hash_settings, store=replace(hash_settings.store, ef_search=100))  # Chroma's default
    vectors = fill(ChunkStore(narrow))  # an index built before the setting existed
    store = ChunkStore(hash_settings, create=False)  # opened by this version, in the same process
    queries = np.random.default_rng(1).normal(size=(20, DIM)).astype(np.float32)
    found = [[cid for cid, _ in store.nearest(q.tolist(), CANDIDATES)] for q in queries]
    recall = np.mean([len(set(f) & set(exact(vectors, q))) / CANDIDATES for f, q in zip(found, queries)])
    assert recall >= 0.999
    store.reopen()  # a new client: Chroma rebuilds the part of its graph it had not saved
    again = [[cid for cid, _ in store.nearest(q.tolist(), CANDIDATES)] for q in queries]
    assert [set(f) for f in again] == [set(f) for f in found]


def test_an_index_built_with_another_search_breadth_gets_the_configured_one(hash_settings: Settings) -> None:
    narrow = replace(hash_settings, store=replace(hash_settings.store, ef_search=100))
    ChunkStore(narrow)
    assert ChunkStore(narrow, create=False).collection.configuration_json["hnsw"]["ef_search"] == 100
    store = ChunkStore(hash_settings, create=False)
    assert store.collection.configuration_json["hnsw"]["ef_search"] == hash_settings.store.ef_search == 800

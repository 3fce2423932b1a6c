"""Incremental ingest into a real embedded Chroma (with the deterministic test embedder)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from rag.config import ChunkSettings, Settings
from rag.ingest import ingest
from rag.store import ChunkStore
from tests.conftest import DATA, write_jsonl


def test_seed_ingest_then_nothing_to_do(hash_settings: Settings) -> None:
    first = ingest([DATA], hash_settings, progress=False)
    assert (first.added, first.papers, first.entries_read) == (251, 251, 308)
    assert first.chunks == first.chunks_embedded > 251
    second = ingest([DATA], hash_settings, progress=False)
    assert (second.added, second.updated, second.unchanged, second.chunks_embedded) == (0, 0, 251, 0)
    assert second.chunks == first.chunks
    stats = ChunkStore(hash_settings, create=False).stats()
    assert stats["papers"] == 251 and stats["last_ingest"]


def test_changed_abstract_is_reembedded_and_old_chunks_removed(hash_settings: Settings, tmp_path: Path) -> None:
    long = " ".join(f"Sentence {i} about graphs and nodes." for i in range(40))
    src = write_jsonl(tmp_path / "p.jsonl", [{"id": "x1", "title": "Graph Paper", "abstract": long}])
    ingest([src], hash_settings, progress=False)
    store = ChunkStore(hash_settings, create=False)
    before = {c.chunk_id for c in store.scan()}
    write_jsonl(src, [{"id": "x1", "title": "Graph Paper", "abstract": "Now it is short. About trees."}])
    summary = ingest([src], hash_settings, progress=False)
    assert (summary.updated, summary.added, summary.chunks_embedded) == (1, 0, 1)
    after = store.scan()
    assert len(after) == 1 and not before & {c.chunk_id for c in after}
    got = store.collection.get(ids=[after[0].chunk_id], include=["documents"])
    assert got["documents"][0] == "Graph Paper\nNow it is short. About trees."


def test_prune_removes_papers_gone_from_sources(hash_settings: Settings, tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "title": "A", "abstract": "About apples."}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "b", "title": "B", "abstract": "About bananas."}])
    ingest([a, b], hash_settings, progress=False)
    kept = ingest([a], hash_settings, progress=False)
    assert kept.papers == 2 and kept.removed == 0  # without --prune other papers stay
    pruned = ingest([a], hash_settings, prune=True, progress=False)
    assert (pruned.removed, pruned.papers) == (1, 1)


def test_listing_dates_merge_without_reembedding(hash_settings: Settings, tmp_path: Path) -> None:
    rec = {"id": "a", "title": "A", "abstract": "About apples."}
    one = write_jsonl(tmp_path / "one.jsonl", [{**rec, "date": "2025-01-01"}])
    two = write_jsonl(tmp_path / "two.jsonl", [{**rec, "date": "2025-02-02"}])
    ingest([one], hash_settings, progress=False)
    summary = ingest([two], hash_settings, progress=False)
    assert (summary.updated, summary.chunks_embedded) == (1, 0)
    meta = ChunkStore(hash_settings, create=False).collection.get(include=["metadatas"])["metadatas"][0]
    assert json.loads(meta["dates"]) == ["2025-01-01", "2025-02-02"]
    assert json.loads(meta["sources"]) == ["one.jsonl", "two.jsonl"]


def test_bad_file_leaves_index_unchanged_and_good_file_lands(hash_settings: Settings, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [{"id": "g", "title": "G", "abstract": "Good text."}])
    ingest([good], hash_settings, progress=False)
    store = ChunkStore(hash_settings, create=False)
    before = sorted(c.chunk_id for c in store.scan())
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "n", "title": "N", "abstract": "New."}\n{"title": "broken"\n')
    summary = ingest([bad], hash_settings, prune=True, progress=False)
    assert "bad.jsonl, line 2: not valid JSON" in summary.errors[0]
    assert sorted(c.chunk_id for c in store.scan()) == before
    newer = write_jsonl(tmp_path / "new.jsonl", [{"id": "n2", "title": "N2", "abstract": "Newer."}])
    mixed = ingest([bad, newer], hash_settings, prune=True, progress=False)
    assert mixed.added == 1 and mixed.papers == 2 and mixed.removed == 0
    assert any("--prune skipped" in w for w in mixed.warnings)


def test_chunk_settings_give_a_new_collection(hash_settings: Settings) -> None:
    other = replace(hash_settings, chunk=ChunkSettings(target_tokens=200))
    assert other.collection_name() != hash_settings.collection_name()
    assert replace(hash_settings, embed_model="hash:128").collection_name() != hash_settings.collection_name()
    ingest([DATA / "001_f36664b61a37cc0a.txt"], hash_settings, progress=False)
    summary = ingest([DATA / "001_f36664b61a37cc0a.txt"], other, progress=False)
    assert summary.added == 48  # nothing mixed into the first collection


def test_an_ingest_is_refused_while_another_holds_the_index(hash_settings: Settings, tmp_path: Path) -> None:
    from rag.errors import IndexBusyError
    from rag.lock import ingest_lock

    source = tmp_path / "p.jsonl"
    source.write_text('{"id": "a", "title": "A title", "abstract": "An abstract about graphs."}\n')
    with ingest_lock(hash_settings.home), pytest.raises(IndexBusyError, match="another ingest"):
        ingest([source], hash_settings, progress=False)
    assert ingest([source], hash_settings, progress=False).added == 1  # the lock went with its holder

"""Shard workers: each writes, replaces and prunes only its own papers, and together they build the whole index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rag.config import Settings
from rag.errors import ConfigError, IndexBusyError
from rag.ingest import ingest
from rag.lock import ingest_lock
from rag.shard import Shard
from rag.store import ChunkStore
from rag.workers import ingest_in_workers
from tests.conftest import DATA

SOURCE = DATA / "001_f36664b61a37cc0a.txt"  # 48 papers


def snapshot(settings: Settings) -> dict[str, Any]:
    """What an index holds, without write times: chunks and sentence vectors with their metadata and vectors."""
    store = ChunkStore(settings, create=False)
    out = {}
    for name, collection in (("chunks", store.collection), ("sentences", store.sentences)):
        got = collection.get(include=["documents", "metadatas", "embeddings"])
        rows = zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
        out[name] = {
            cid: (doc, {k: v for k, v in meta.items() if k != "ingested_at"}, [round(float(x), 5) for x in vector])
            for cid, doc, meta, vector in rows
        }
    return out


def test_shards_split_paper_ids_the_same_way_everywhere() -> None:
    ids = [f"paper-{i}" for i in range(200)]
    halves = [[pid for pid in ids if Shard(i, 2).owns(pid)] for i in (1, 2)]
    assert sorted(halves[0] + halves[1]) == sorted(ids) and not set(halves[0]) & set(halves[1])
    assert 70 < len(halves[0]) < 130  # a hash, not a range: both halves get a fair share
    assert Shard.parse("2/3") == Shard(2, 3)
    for bad in ("0/2", "3/2", "1", "a/b"):
        with pytest.raises(ValueError, match="I/N"):
            Shard.parse(bad)


def test_two_shards_one_after_the_other_build_the_index_one_ingest_builds(tmp_path: Path) -> None:
    whole = Settings(home=tmp_path / "whole", embed_model="hash:256")
    sharded = Settings(home=tmp_path / "sharded", embed_model="hash:256")
    one = ingest([SOURCE], whole, progress=False)
    first = ingest([SOURCE], sharded, progress=False, shard=Shard(1, 2))
    assert 0 < first.added < 48 and first.papers == first.added  # shard 1 wrote its own papers only
    second = ingest([SOURCE], sharded, progress=False, shard=Shard(2, 2))
    assert first.added + second.added == one.added == 48
    assert second.papers == 48 and second.chunks == one.chunks
    assert snapshot(sharded) == snapshot(whole)
    pointer = json.loads((sharded.bm25_dir / f"{ChunkStore(sharded).name}.json").read_text())
    assert pointer["count"] == pointer["chunks"] == one.chunks  # the last worker rebuilt BM25 from every chunk


def test_a_shard_prunes_only_its_own_papers(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", embed_model="hash:256")
    ingest([SOURCE], settings, progress=False)
    seed = {c.paper_id for c in ChunkStore(settings).scan()}
    other = tmp_path / "other.jsonl"  # none of the seed papers: a whole-index prune would remove all 48
    other.write_text('{"id": "x-1", "title": "Unrelated", "abstract": "A new abstract about graphs."}\n')
    shard = Shard(1, 2)
    pruned = ingest([other], settings, progress=False, prune=True, shard=shard)
    mine = {pid for pid in seed if shard.owns(pid)}
    assert pruned.removed == len(mine) > 0
    left = {c.paper_id for c in ChunkStore(settings).scan()}
    assert left == (seed - mine) | ({"x-1"} if shard.owns("x-1") else set())


def test_shard_locks_let_different_shards_run_together_and_nothing_else(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with ingest_lock(home, "1-of-2"):
        with ingest_lock(home, "2-of-2"):
            pass  # another shard: allowed
        with pytest.raises(IndexBusyError, match="shard 1-of-2"), ingest_lock(home, "1-of-2"):
            pass  # the same shard twice: refused
        with pytest.raises(IndexBusyError, match="shard workers"), ingest_lock(home):
            pass  # a whole-index ingest: refused while shards write
    with ingest_lock(home), pytest.raises(IndexBusyError, match="another ingest"), ingest_lock(home, "1-of-2"):
        pass  # a shard: refused while a whole-index ingest writes


def test_workers_need_a_chroma_server(hash_settings: Settings) -> None:
    with pytest.raises(ConfigError, match="needs a Chroma server"):
        ingest_in_workers([SOURCE], hash_settings, workers=2)

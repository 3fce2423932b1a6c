"""The Chroma collection that holds chunk vectors, in embedded (a folder) or server mode.

Everything the index knows lives in Chroma itself, so embedded and server mode behave the same:
- one record per chunk, id `paper_id#hash12#index`, metadata naming its paper, content hash, position,
  sentence offsets, listing dates and sources; chunk 0 also carries the whole abstract;
- a paper counts as indexed only when all `n_chunks` chunks of one content hash are present;
- a second collection (`<name>-sentences`) holds the vector of every abstract sentence, id `paper_id#hash12#sN`,
  with its offsets and the paper's content hash: evidence and citation checks look them up instead of embedding
  the sentences on every question. A paper's sentences are written before its chunks (so a paper that counts as
  indexed has them) and deleted with its old chunks. Its name derives from the chunk collection's, so a change of
  model or chunking builds both anew;
- the collection's own metadata records the embedding model, chunking and the last ingest time.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from rag.config import Settings
from rag.errors import ConfigError, IndexStateError
from rag.metadata import chunk_id, chunk_metadata, listing_metadata, parse_chunk_id, sentence_id, version_id
from rag.records import Chunk, Paper
from rag.versions import StoredChunk, complete_papers

PAGE = 5000


def connect(settings: Settings) -> Any:
    """A Chroma client: a server when `store.chroma_host` is set, else the embedded folder."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.store.chroma_host:
        try:
            client = chromadb.HttpClient(
                host=settings.store.chroma_host, port=settings.store.chroma_port, settings=chroma_settings
            )
            client.heartbeat()
        except Exception as exc:  # noqa: BLE001 - any connection failure means the same to the user
            raise ConfigError(
                f"cannot reach the Chroma server at {settings.store.chroma_host}:{settings.store.chroma_port} ({exc})"
            ) from None
        return client
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class ChunkStore:
    """The chunk collection of one settings' worth of model and chunking."""

    def __init__(self, settings: Settings, create: bool = True, client: Any = None):
        self.settings = settings
        if not create and client is None and not settings.store.chroma_host and not settings.chroma_dir.exists():
            raise IndexStateError(f"no index at {settings.home}; run `rag ingest` first")
        self.client = client if client is not None else connect(settings)
        self.name = settings.collection_name()
        self.sentences_name = f"{self.name}-sentences"
        if create:
            self.collection = self.client.get_or_create_collection(
                self.name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine", "ef_search": settings.store.ef_search}},
                metadata=self._info(last_ingest=None),
            )
            self.sentences = self.client.get_or_create_collection(
                self.sentences_name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
        else:
            try:
                self.collection = self.client.get_collection(self.name, embedding_function=None)
            except Exception:  # noqa: BLE001 - chromadb raises different types across versions and modes
                raise IndexStateError(
                    f"no index for these settings (collection {self.name}); run `rag ingest` first"
                ) from None
            self.sentences = self._sentences_if_any()
        self._search_breadth()

    def _search_breadth(self) -> None:
        """Give the chunk collection the configured HNSW `ef_search` (an index built before the setting, or with
        another value, is changed in place: a search setting, no rebuild). Chroma rebuilds the part of its graph
        written since the last save at every start, and with its default of 100 that graph decided which of the
        nearest chunks a search found, so the same question could get other sources after a restart. An embedded
        Chroma reads the setting when it loads the index, so this process connects anew; a Chroma server reads it
        at its next start."""
        ef = self.settings.store.ef_search
        if (self.collection.configuration_json or {}).get("hnsw", {}).get("ef_search") != ef:
            self.collection.modify(configuration={"hnsw": {"ef_search": ef}})
            self.reopen()

    def _sentences_if_any(self) -> Any:
        """The sentence-vector collection, or None for an index built before it existed (vectors are then
        computed per question, as before)."""
        try:
            return self.client.get_collection(self.sentences_name, embedding_function=None)
        except Exception:  # noqa: BLE001 - chromadb raises different types across versions and modes
            return None

    def reopen(self) -> None:
        """See what other processes wrote since this one connected.

        An embedded Chroma keeps its vector index in memory and does not notice another process's writes (its
        metadata, in SQLite, it does), so the shared client of this folder is dropped and connected anew; clients
        made earlier resolve to the new one too. A Chroma server is always current: nothing to do.
        """
        if self.settings.store.chroma_host:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
        self.client = connect(self.settings)
        self.collection = self.client.get_collection(self.name, embedding_function=None)
        self.sentences = self._sentences_if_any()

    def _info(self, last_ingest: float | None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "embed_model": self.settings.embed_model,
            "chunking": json.dumps(asdict(self.settings.chunk), sort_keys=True),
        }
        if last_ingest is not None:
            info["last_ingest"] = last_ingest
        return info

    def _pages(
        self, where: dict | None = None, field: str = "metadatas", collection: Any = None
    ) -> Iterator[tuple[str, Any]]:
        """(chunk id, metadata or document) of every chunk matching `where`, fetched in pages (large collections,
        server mode)."""
        offset = 0
        while True:
            page = (collection or self.collection).get(where=where, include=[field], limit=PAGE, offset=offset)
            yield from zip(page["ids"], page[field])
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def count(self) -> int:
        """Chunks stored."""
        return int(self.collection.count())

    def documents(self) -> Iterator[tuple[str, str]]:
        """(chunk id, embedded text) of every chunk, in pages."""
        return self._pages(field="documents")

    def metadatas(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(chunk id, metadata) of every chunk, in pages (the BM25 side indexes the first chunks' abstracts)."""
        return self._pages()

    def vectors(self) -> Iterator[tuple[str, Any]]:
        """(chunk id, stored vector) of every chunk, in pages."""
        return self._pages(field="embeddings")

    def stored_sentences(self) -> Iterator[tuple[str, Any]]:
        """(sentence id, stored vector) of every abstract sentence, in pages (none for an index without them)."""
        return self._pages(field="embeddings", collection=self.sentences) if self.sentences is not None else iter(())

    def nearest(self, vector: list[float], n: int, where: dict | None = None) -> list[tuple[str, float]]:
        """The `n` chunks nearest to `vector` as (chunk id, cosine similarity), best first: ids only, since a chunk
        id names its paper and version (`rag.metadata.parse_chunk_id`) and fetching metadata costs more than the
        search itself."""
        res = self.collection.query(query_embeddings=[vector], n_results=n, where=where, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]

    def present(self, chunk_ids: list[str], where: dict | None = None) -> set[str]:
        """Those of the given chunks that are stored (and match `where`): one lookup by id, no metadata."""
        if not chunk_ids:
            return set()
        return set(self.collection.get(ids=chunk_ids, where=where, include=[])["ids"])

    def chunk_vectors(self, chunk_ids: list[str]) -> dict[str, list[float]]:
        """Stored vectors of the given chunks, by chunk id."""
        got = self.collection.get(ids=chunk_ids, include=["embeddings"]) if chunk_ids else {"ids": []}
        return {cid: [float(x) for x in vector] for cid, vector in zip(got["ids"], got.get("embeddings", []))}

    def chunk_matrix(self, chunk_ids: list[str]) -> tuple[list[str], Any]:
        """The stored ones of the given chunks and their vectors as one float32 array (rows in that order)."""
        import numpy as np

        got = self.collection.get(ids=chunk_ids, include=["embeddings"]) if chunk_ids else {"ids": []}
        if not got["ids"]:
            return [], np.zeros((0, 0), np.float32)
        return list(got["ids"]), np.asarray(got["embeddings"], np.float32)

    def first_chunks_of(self, versions: list[str]) -> dict[str, dict[str, Any]]:
        """Metadata of the first chunk (title, abstract, dates, ...) of each given paper version
        (`rag.metadata.version_id`), by version: one lookup by id. Versions no longer stored are absent."""
        if not versions:
            return {}
        got = self.collection.get(ids=[f"{v}#0" for v in versions], include=["metadatas"])
        return {parse_chunk_id(cid)[1]: meta for cid, meta in zip(got["ids"], got["metadatas"])}

    def scan(self) -> list[StoredChunk]:
        """Every stored chunk's bookkeeping metadata."""
        return [
            StoredChunk(
                chunk_id=cid,
                paper_id=str(meta["paper_id"]),
                content_hash=str(meta["content_hash"]),
                index=int(meta["chunk_index"]),
                n_chunks=int(meta["n_chunks"]),
                ingested_at=float(meta.get("ingested_at", 0.0)),
                listing_key=str(meta.get("listing_key", "")),
            )
            for cid, meta in self._pages()
        ]

    def first_chunks(self) -> Iterator[dict[str, Any]]:
        """Metadata of every paper's first chunk (title, abstract, dates, ...)."""
        return (meta for _, meta in self._pages(where={"chunk_index": 0}))

    def write(
        self,
        items: list[tuple[Paper, list[Chunk]]],
        vectors: list[list[float]],
        sentences: list[list[tuple[int, int]]] | None = None,
        sentence_vectors: list[list[float]] | None = None,
    ) -> None:
        """Upsert the chunks of whole papers in one call (one transaction in Chroma), after the vectors of their
        abstract sentences (`sentences`: each paper's sentence offsets, in order; `sentence_vectors`: flat)."""
        if sentences is not None and sentence_vectors is not None and self.sentences is not None:
            self.write_sentences([paper for paper, _ in items], sentences, sentence_vectors)
        now = time.time()
        ids, docs, metas = [], [], []
        for paper, chunks in items:
            for chunk in chunks:
                ids.append(chunk_id(chunk, paper.content_hash))
                docs.append(chunk.text)
                metas.append(chunk_metadata(paper, chunk, len(chunks), now))
        if ids:
            self.collection.upsert(ids=ids, embeddings=vectors, documents=docs, metadatas=metas)

    def sentence_versions(self) -> set[str]:
        """Content hashes of the paper versions whose sentence vectors are stored."""
        if self.sentences is None:
            return set()
        return {str(m["content_hash"]) for _, m in self._pages(where={"index": 0}, collection=self.sentences)}

    def write_sentences(
        self, papers: list[Paper], spans: list[list[tuple[int, int]]], vectors: list[list[float]]
    ) -> None:
        ids, metas = [], []
        for paper, offsets in zip(papers, spans):
            version = version_id(paper.paper_id, paper.content_hash)
            for i, (start, end) in enumerate(offsets):
                ids.append(sentence_id(version, i))
                metas.append(
                    {
                        "paper_id": paper.paper_id,
                        "content_hash": paper.content_hash,
                        "version": version,
                        "index": i,
                        "start": start,
                        "end": end,
                    }
                )
        for i in range(0, len(ids), PAGE):
            self.sentences.upsert(
                ids=ids[i : i + PAGE], embeddings=vectors[i : i + PAGE], metadatas=metas[i : i + PAGE]
            )

    def sentence_vectors(self, versions: dict[str, int]) -> dict[str, list[tuple[int, int, list[float]]]]:
        """Stored (start, end, vector) of the first `count` sentences of each given paper version
        (`{version_id: count}`), by version, in order: one lookup by id. Versions without stored sentences
        are absent."""
        if self.sentences is None or not versions:
            return {}
        ids = [sentence_id(v, i) for v, count in versions.items() for i in range(count)]
        got = self.sentences.get(ids=ids, include=["metadatas", "embeddings"])
        found: dict[str, list[tuple[int, int, int, list[float]]]] = defaultdict(list)
        for meta, vector in zip(got["metadatas"], got["embeddings"]):
            row = (int(meta["index"]), int(meta["start"]), int(meta["end"]), [float(x) for x in vector])
            found[str(meta["version"])].append(row)
        return {v: [(a, b, vec) for _, a, b, vec in sorted(rows, key=lambda r: r[0])] for v, rows in found.items()}

    def update_listings(self, paper: Paper, stored: Iterable[StoredChunk]) -> None:
        """Rewrite the dates/sources metadata of a paper whose text did not change (no re-embedding)."""
        rows = sorted(stored, key=lambda c: c.index)
        got = self.collection.get(ids=[c.chunk_id for c in rows], include=["metadatas"])
        changed = listing_metadata(paper)
        self.collection.update(ids=got["ids"], metadatas=[{**meta, **changed} for meta in got["metadatas"]])

    def delete(self, chunk_ids: list[str]) -> None:
        """Remove chunks by id, in pages, with the sentence vectors of their paper versions."""
        for i in range(0, len(chunk_ids), PAGE):
            self.collection.delete(ids=chunk_ids[i : i + PAGE])
        versions = sorted({cid.rsplit("#", 1)[0] for cid in chunk_ids})
        if self.sentences is not None and versions:
            for i in range(0, len(versions), PAGE):
                self.sentences.delete(where={"version": {"$in": versions[i : i + PAGE]}})

    def paper_dates(self) -> dict[str, list[str]]:
        """Listing dates of every paper."""
        return {str(meta["paper_id"]): json.loads(str(meta.get("dates") or "[]")) for meta in self.first_chunks()}

    def mark_ingested(self) -> None:
        """Record the time of the last completed ingest in the collection's metadata."""
        self.collection.modify(metadata=self._info(last_ingest=time.time()))

    def stats(self) -> dict[str, Any]:
        """Papers, chunks, collection, embedding model and last ingest time."""
        stored = self.scan()
        meta = self.collection.metadata or {}
        last = meta.get("last_ingest")
        return {
            "papers": len(complete_papers(stored)),
            "chunks": len(stored),
            "collection": self.name,
            "embedding_model": meta.get("embed_model", self.settings.embed_model),
            "chunking": json.loads(meta["chunking"]) if meta.get("chunking") else asdict(self.settings.chunk),
            "last_ingest": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(last)) if last else None,
            "store": (
                f"chroma server {self.settings.store.chroma_host}:{self.settings.store.chroma_port}"
                if self.settings.store.chroma_host
                else f"embedded {self.settings.chroma_dir}"
            ),
        }

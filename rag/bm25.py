"""The BM25 side of hybrid retrieval (bm25s, English stemming), saved beside the Chroma collection.

It indexes the collection's chunks (`RetrievalSettings.bm25_documents = "chunks"`, the default) or one document
per paper version, its title and whole abstract, named by the version's first chunk id ("papers": on SciFact
nDCG@10 0.727 against 0.719 fused with the dense side, a third as many documents), with bm25s's k1 and b
(`BM25Spec`: an index built as another spec is rebuilt when opened). `rag ingest` rebuilds it from
the collection after every change. It is saved to a new folder and a small
pointer file is swapped in atomically, so readers always see a complete index. A reader that finds the index
out of step with Chroma (say, after an ingest from another machine into a Chroma server) rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def fingerprint(chunk_ids: list[str]) -> str:
    """Identity of a set of chunks, to tell whether the BM25 index matches the collection."""
    return hashlib.sha256("\n".join(sorted(chunk_ids)).encode()).hexdigest()[:16]


def paper_text(meta: dict[str, Any]) -> str:
    """The document BM25 indexes for a paper: its title and whole abstract (from its first chunk's metadata)."""
    return f"{meta.get('title', '')}\n{meta.get('abstract', '')}"


@dataclass(frozen=True)
class BM25Spec:
    """What a BM25 index holds ('chunks' or 'papers') and bm25s's k1 and b, which are fixed when it is built."""

    documents: str = "chunks"
    k1: float = 1.5  # bm25s's defaults
    b: float = 0.75

    @classmethod
    def of(cls, retrieval: Any) -> BM25Spec:
        """The spec `RetrievalSettings` asks for."""
        return cls(retrieval.bm25_documents, retrieval.bm25_k1, retrieval.bm25_b)


def is_current(saved: dict[str, Any] | None, chunk_ids: list[str], spec: BM25Spec) -> bool:
    """Whether a saved index (`saved_info`) was built from exactly these chunks, as that spec."""
    return saved is not None and held(saved) == spec and saved["fingerprint"] == fingerprint(chunk_ids)


def held(saved: dict[str, Any]) -> BM25Spec:
    """What a saved index holds (chunks with bm25s's defaults for one saved before the pointer said)."""
    d = BM25Spec()
    return BM25Spec(str(saved.get("documents", d.documents)), float(saved.get("k1", d.k1)), float(saved.get("b", d.b)))


@dataclass
class BM25Index:
    """Document ids (chunk ids, or each paper version's first chunk id) plus a bm25s retriever over their texts."""

    ids: list[str]
    retriever: Any
    fingerprint: str  # of every chunk id of the collection it was built from
    chunks: int  # how many chunks that collection held
    spec: BM25Spec = field(default_factory=BM25Spec)
    _docs_of: dict[str, list[int]] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def build(
        cls, ids: list[str], texts: list[str], chunk_ids: list[str] | None = None, spec: BM25Spec | None = None
    ) -> BM25Index:
        """Index `texts` under `ids`, for a collection of `chunk_ids` (by default the ids themselves)."""
        import bm25s

        chunk_ids = list(ids) if chunk_ids is None else chunk_ids
        spec = spec or BM25Spec()
        retriever = bm25s.BM25(k1=spec.k1, b=spec.b)
        if texts:
            tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
            retriever.index(tokens, show_progress=False)
        return cls(list(ids), retriever, fingerprint(chunk_ids), len(chunk_ids), spec)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Up to `k` (document id, score) pairs with a positive score, best first (ties by position).

        The top `k` are selected among the documents that hold a query term only: bm25s's own `retrieve`
        partitions the whole score array, mostly zeros, which costs 90 ms at 550,000 documents where scoring costs
        1 ms."""
        import numpy as np

        if not self.ids:
            return []
        scores = self._scores(query)
        if scores is None:
            return []
        found = np.flatnonzero(scores > 0)
        if len(found) > k:
            found = found[np.argpartition(-scores[found], k - 1)[:k]]
        return [(self.ids[d], float(scores[d])) for d in sorted(found.tolist(), key=lambda d: (-scores[d], d))]

    def documents_of(self, papers: set[str]) -> dict[str, list[str]]:
        """The document ids (chunk ids, or first chunk ids with 'papers') this index holds for each of `papers`."""
        docs_of = self._by_paper()
        return {pid: [self.ids[d] for d in docs_of[pid]] for pid in papers if pid in docs_of}

    def paper_scores(self, query: str, papers: set[str]) -> dict[str, float]:
        """Each of `papers`' best score over its documents (0.0 where none holds a query term), whether or not it
        is among the top documents `search` returns: z-score fusion scores every candidate on both sides."""
        scores = self._scores(query) if self.ids else None
        docs_of = self._by_paper()
        return {
            pid: max((float(scores[d]) for d in docs_of.get(pid, [])), default=0.0) if scores is not None else 0.0
            for pid in papers
        }

    def _by_paper(self) -> dict[str, list[int]]:
        """Positions of each paper's documents in `ids`; built once (a concurrent first call builds the same)."""
        if self._docs_of is None:
            from rag.metadata import parse_chunk_id

            docs_of: dict[str, list[int]] = {}
            for d, doc_id in enumerate(self.ids):
                docs_of.setdefault(parse_chunk_id(doc_id)[0], []).append(d)
            self._docs_of = docs_of
        return self._docs_of

    def _scores(self, query: str) -> Any:
        """bm25s's score of every document for `query`, or None when the query has no indexable term."""
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
        return self.retriever.get_scores(tokens[0]) if tokens[0] else None

    def save(self, folder: Path, collection: str) -> None:
        """Write to a new folder, then atomically point `<collection>.json` at it; old folders are removed."""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{collection}.{self.fingerprint}"
        tmp = folder / f".{collection}.{self.fingerprint}.{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        if self.ids:
            self.retriever.save(str(tmp))
        (tmp / "ids.json").write_text(json.dumps(self.ids))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        pointer = folder / f"{collection}.json"
        pointer_tmp = folder / f".{collection}.json.{os.getpid()}"
        pointer_tmp.write_text(
            json.dumps(
                {
                    "folder": target.name,
                    "fingerprint": self.fingerprint,
                    "count": len(self.ids),
                    "chunks": self.chunks,
                    "documents": self.spec.documents,
                    "k1": self.spec.k1,
                    "b": self.spec.b,
                }
            )
        )
        os.replace(pointer_tmp, pointer)
        for old in folder.glob(f"{collection}.*"):
            if old.is_dir() and old != target:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, collection: str, spec: BM25Spec | None = None) -> BM25Index | None:
        """The saved index, or None when there is none or it was built as another spec."""
        import bm25s

        info = saved_info(folder, collection)
        spec = spec or BM25Spec()
        if info is None or held(info) != spec:
            return None
        target = folder / info["folder"]
        ids = json.loads((target / "ids.json").read_text())
        retriever = bm25s.BM25.load(str(target)) if ids else bm25s.BM25(k1=spec.k1, b=spec.b)
        return cls(ids, retriever, info["fingerprint"], int(info.get("chunks", len(ids))), spec)


def saved_info(folder: Path, collection: str) -> dict[str, Any] | None:
    """The pointer of the saved index (folder, fingerprint, count), without loading the index itself."""
    pointer = folder / f"{collection}.json"
    return json.loads(pointer.read_text()) if pointer.exists() else None


def rebuild_from_store(store: Any, folder: Path, spec: BM25Spec | None = None) -> BM25Index:
    """Build from the store (a `rag.store.ChunkStore`) and save: every chunk's text, or for 'papers' one document
    per paper version from its first chunk's metadata (read in one paged pass with every chunk id)."""
    spec = spec or BM25Spec()
    if spec.documents == "chunks":
        pairs = list(store.documents())
        index = BM25Index.build([cid for cid, _ in pairs], [text for _, text in pairs], spec=spec)
    else:
        chunk_ids: list[str] = []
        firsts: list[tuple[str, str]] = []
        for cid, meta in store.metadatas():
            chunk_ids.append(cid)
            if int(meta.get("chunk_index", -1)) == 0:
                firsts.append((cid, paper_text(meta)))
        index = BM25Index.build([cid for cid, _ in firsts], [text for _, text in firsts], chunk_ids, spec)
    index.save(folder, store.name)
    return index

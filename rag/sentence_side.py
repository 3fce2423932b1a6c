"""The sentence side of z-score fusion: each candidate paper's best stored sentence vector, scored in memory.

Reading a few hundred papers' sentence vectors from Chroma per question costs 20-200 ms on SciFact; holding them
all as one float16 matrix costs 2 bytes a dimension (34 MB for SciFact's 44,650 sentences, about 770 MB at a
million) and answers in well under a millisecond. It is built on first use, only when `sentence_weight` is set,
and rebuilt after an ingest (`Retriever.sync`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


class SentenceMatrix:
    """Every stored abstract sentence vector, rows grouped by paper version."""

    def __init__(self, rows: Iterable[tuple[str, Any]]):
        by_version: dict[str, list[Any]] = {}
        for sid, vector in rows:  # a sentence id is `version#sN`
            by_version.setdefault(sid.rsplit("#", 1)[0], []).append(vector)
        self.spans: dict[str, tuple[int, int]] = {}
        blocks = []
        start = 0
        for version, vectors in by_version.items():
            self.spans[version] = (start, start + len(vectors))
            blocks.append(np.asarray(vectors, dtype=np.float16))
            start += len(vectors)
        self.matrix = np.concatenate(blocks) if blocks else np.zeros((0, 0), np.float16)

    def __len__(self) -> int:
        return len(self.matrix)

    def best(self, qvec: list[float], versions: Iterable[str]) -> dict[str, float]:
        """The best cosine of each given version's sentences with the (unit) query vector; versions without
        stored sentences are absent."""
        spans = [(v, self.spans[v]) for v in versions if v in self.spans]
        if not spans:
            return {}
        rows = np.concatenate([np.arange(a, b) for _, (a, b) in spans])
        scores = self.matrix[rows].astype(np.float32) @ np.asarray(qvec, np.float32)
        out, at = {}, 0
        for version, (a, b) in spans:
            out[version] = float(scores[at : at + b - a].max())
            at += b - a
        return out

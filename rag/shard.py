"""Which papers an ingest worker owns: shard I of N takes the paper ids whose stable hash is I modulo N.

Every worker reads the same sources and keeps only its own papers, so workers never write, replace or delete
each other's chunks: each shard is a whole-index ingest of its papers, with the same crash safety.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"shard must be I/N with 1 <= I <= N, got {self.index}/{self.count}")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`'2/4'` -> Shard(2, 4).

        >>> Shard.parse("2/4")
        Shard(index=2, count=4)
        """
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"shard must look like I/N (for example 1/2), got {text!r}") from None
        return cls(index, count)

    @property
    def label(self) -> str:
        return f"{self.index}-of-{self.count}"

    def owns(self, paper_id: str) -> bool:
        """Whether this shard writes the paper (the same answer in every process and on every machine)."""
        digest = hashlib.sha256(paper_id.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

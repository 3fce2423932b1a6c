"""How the dense and BM25 sides' paper scores become one ranking: reciprocal rank, or summed z-scores.

`rrf` takes each side's papers in its rank order (best first), `zscore` each side's papers with their best
score there. Three
papers the dense side scores nearly alike, one BM25 puts far ahead: ranks level that lead, z-scores keep it.

>>> dense = {"a": 0.61, "b": 0.60, "c": 0.595, "d": 0.30}
>>> bm25 = {"c": 9.0, "a": 4.0, "b": 3.5, "d": 3.0}
>>> sorted(rrf([dense, bm25], [1.0, 1.0]).items(), key=lambda kv: -kv[1])[0][0]
'a'
>>> sorted(zscore([dense, bm25], [1.0, 1.0]).items(), key=lambda kv: -kv[1])[0][0]
'c'
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def rrf(rankings: list[Iterable[str]], weights: list[float], k: int = 60) -> dict[str, float]:
    """Weighted reciprocal rank fusion: a paper gains `weight / (k + rank)` from each ranking that holds it."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, pid in enumerate(ranking, start=1):
            fused[pid] = fused.get(pid, 0.0) + weight / (k + rank)
    return fused


def zscore(sides: list[dict[str, float]], weights: list[float]) -> dict[str, float]:
    """Weighted sum of each side's standardised scores (CombSUM of z-scores). Each side is standardised over the
    papers it scores; a paper a side does not score takes that side's lowest standardised score. Unlike ranks,
    the scores keep how far one paper leads another, so a paper that one side puts far ahead is not levelled
    with one that merely comes first."""
    scaled = []
    for side in sides:
        values = list(side.values())
        mean = statistics.fmean(values) if values else 0.0
        spread = (statistics.pstdev(values) if len(values) > 1 else 0.0) or 1.0
        z = {pid: (s - mean) / spread for pid, s in side.items()}
        scaled.append((z, min(z.values(), default=0.0)))
    papers = set().union(*(z for z, _ in scaled))
    return {pid: sum(w * z.get(pid, floor) for (z, floor), w in zip(scaled, weights)) for pid in papers}

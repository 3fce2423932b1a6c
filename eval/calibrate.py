"""The abstention trade-off: each threshold of `rag.decide` swept over a finished run.

The decision is a pure function of the signals each result recorded, so replaying it with another threshold gives
exactly what that threshold would have decided, with one exception: a question stopped before the LLM has no
generated answer to replay, so a looser pre-LLM threshold counts it as abstained still.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from eval import metrics
from eval.runner import Result
from rag import decide

GRID = {
    "topic_floor": [0.0, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55],
    "quote_floor": [0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 9.0],
    "relevance_floor": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],
    "min_novel": [0, 1, 2, 3, 4, 6],
}


def replay(result: Result, rules: decide.Rules) -> bool:
    """Whether the question would have been declined under `rules`."""
    signals = decide.Signals(**result.signals)
    if decide.before_llm(signals, rules):
        return True
    return decide.after_llm(signals, rules)[0] == decide.ABSTAINED


def tradeoff(results: list[Result], rules: decide.Rules) -> list[dict[str, Any]]:
    """Abstention recall and false-abstention rate for every threshold value of `GRID`."""
    ok = [r for r in results if not r.error and r.signals]
    points = []
    for name, values in GRID.items():
        for value in values:
            swept = replace(rules, **{name: value})
            declined = [replay(r, swept) for r in ok]
            rates = metrics.abstention(declined, [r.answerable for r in ok])
            points.append({"threshold": name, "value": value} | rates)
    return points

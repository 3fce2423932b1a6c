"""Run a dataset through the answering pipeline and score every question.

Support model: no NLI cross-encoder can be installed offline here, so "source s supports sentence x" is the
citation checker of the answering path (`rag.citations.SupportScorer`: embedding similarity mixed with word
overlap, threshold `answer.support_threshold`). Its limits carry over: similarity is not entailment, so a
sentence that reuses a source's words but changes a number can count as supported, and a faithful paraphrase in
other words can fail. Citation recall and precision are computed on the citations the model wrote (before the
checker repairs them), from the support scores the check recorded; faithfulness asks whether any retrieved
source supports the sentence.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from eval import metrics
from eval.dataset import Record
from eval.judge import Judge
from rag.config import Settings
from rag.embed import cosine
from rag.llamaindex import to_response
from rag.pipeline import Pipeline
from rag.results import Answer

RANK_DEPTH = 10  # papers ranked for the retrieval metrics


@dataclass
class Result:
    """Everything measured for one question."""

    id: str
    kind: str
    question: str
    answerable: bool
    gold: list[str]
    answer: str = ""
    abstained: bool = False
    reason: str = ""
    ranked: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, float | bool | None] = field(default_factory=dict)
    judge: dict[str, float | str | None] = field(default_factory=dict)
    error: str = ""
    mode: str = ""  # generated | extractive | abstained
    signals: dict[str, Any] = field(default_factory=dict)  # what the abstention decision saw (rag.decide.Signals)

    def failed(self) -> str:
        """Why this question counts as failed, or '' if it passed."""
        s = self.scores
        if self.error:
            return f"error: {self.error}"
        if not self.answerable:
            return "" if self.abstained else "answered a question the corpus cannot answer"
        if self.abstained:
            return "declined an answerable question"
        if self.gold and not s.get("cites_gold"):
            return "cites no gold paper"
        coverage = s.get("must_mention")
        if coverage is not None and coverage < 1:
            return f"misses {1 - coverage:.0%} of the facts it must mention"
        return ""


def support_scores(answer: Answer, threshold: float) -> dict[str, float | None]:
    """Citation recall/precision on the model's own citations, and faithfulness, for one checked answer.

    Uses the per-source support that the answering path's check already computed for every sentence.
    """
    k = len(answer.sources)
    recall_flags, precision_flags, faithful_flags = [], [], []
    for sentence in answer.sentences:
        backs = [1 <= n <= k and sentence.scores[n - 1] >= threshold for n in sentence.cited]
        recall_flags.append(any(backs))
        precision_flags += backs
        faithful_flags.append(max(sentence.scores, default=0.0) >= threshold)
    return {
        "citation_recall": metrics.citation_recall(recall_flags),
        "citation_precision": metrics.citation_precision(precision_flags),
        "faithfulness": metrics.faithfulness(faithful_flags),
    }


class Runner:
    """Answers records with one pipeline and scores them."""

    def __init__(self, settings: Settings, pipeline: Pipeline | None = None, judge: Judge | None = None):
        self.settings = settings
        self.pipeline = pipeline or Pipeline(settings)
        self.judge = judge

    def run(self, records: list[Record], progress: Callable[[Record], None] | None = None) -> list[Result]:
        results = []
        for record in records:
            results.append(self.one(record))
            if progress:
                progress(record)
        return results

    def one(self, record: Record) -> Result:
        result = Result(record.id, record.kind, record.question, record.answerable, record.gold)
        history = [(q, a) for q, a in record.history]
        try:
            answer = self.pipeline.ask(record.question, history)
        except Exception as exc:  # noqa: BLE001 - one broken question must not end the run; it is reported
            result.error = f"{type(exc).__name__}: {exc}"
            return result
        result.answer, result.abstained, result.reason = answer.answer, answer.abstained, answer.reason
        result.mode, result.signals = answer.mode, asdict(answer.signals)
        result.sources = [
            {
                "n": s.n,
                "paper_id": s.paper_id,
                "title": s.title,
                "cited": s.cited,
                "evidence": [e.text for e in s.evidence],
            }
            for s in answer.sources
        ]
        result.cited = [s.paper_id for s in answer.sources if s.cited]
        scores: dict[str, Any] = {
            "first_token_s": answer.timings.get("first_token_s"),
            "total_s": answer.timings.get("total_s"),
            "declined": answer.abstained,
        }
        if record.gold:
            result.ranked = [h.paper_id for h in self.pipeline.retriever.rank(answer.query, RANK_DEPTH)]
            scores |= metrics.retrieval(result.ranked, record.gold)
        if record.answerable and not answer.abstained:
            scores |= support_scores(answer, self.settings.answer.support_threshold)
            scores["cites_gold"] = metrics.cites_gold(result.cited, record.gold) if record.gold else None
            scores["must_mention"] = metrics.mention_coverage(answer.answer, record.must_mention)
            plain = re.sub(r"\s*\[(\d+|unverified)\]", "", answer.answer)
            q_vec, a_vec = self.pipeline.embedder.embed([record.question, plain])
            scores["answer_relevancy"] = round(cosine(q_vec, a_vec), 4)
            if self.judge:
                result.judge = self.judge.evaluate(record.question, to_response(answer), record.reference_answer)
        elif record.answerable:
            scores["cites_gold"] = False if record.gold else None
        result.scores = scores
        return result


def summarize(results: list[Result], judge_ran: bool) -> dict[str, Any]:
    """The headline numbers of a run (None where a metric has no questions to average over)."""
    answerable = [r for r in results if r.answerable and not r.error]
    answered = [r for r in answerable if not r.abstained]
    with_gold = [r for r in results if r.gold and not r.error]

    def avg(rows: list[Result], key: str) -> float | None:
        return metrics.mean([r.scores.get(key) for r in rows])

    ok = [r for r in results if not r.error]
    summary: dict[str, Any] = {"questions": len(results), "errors": len(results) - len(ok)}
    for key in metrics.RETRIEVAL_MEASURES:
        summary[key] = avg(with_gold, key)
    summary["citation_recall"] = avg(answered, "citation_recall")
    summary["citation_precision"] = avg(answered, "citation_precision")
    gold_answerable = [r for r in answerable if r.gold]
    summary["gold_citation_rate"] = (
        sum(bool(r.scores.get("cites_gold")) for r in gold_answerable) / len(gold_answerable)
        if gold_answerable
        else None
    )
    summary |= metrics.abstention([r.abstained for r in ok], [r.answerable for r in ok])
    summary["must_mention"] = avg(answered, "must_mention")
    summary["answer_relevancy"] = avg(answered, "answer_relevancy")
    summary["faithfulness"] = avg(answered, "faithfulness")
    first = [r.scores["first_token_s"] for r in ok if r.scores.get("first_token_s") is not None]
    total = [r.scores["total_s"] for r in ok if r.scores.get("total_s") is not None]
    summary["first_token_s_median"] = metrics.percentile(first, 50)
    summary["first_token_s_p95"] = metrics.percentile(first, 95)
    summary["total_s_median"] = metrics.percentile(total, 50)
    summary["total_s_p95"] = metrics.percentile(total, 95)
    for name in ("judge_faithfulness", "judge_relevancy", "judge_correctness"):
        values = [r.judge.get(name) for r in answered if isinstance(r.judge.get(name), (int, float))]
        summary[name] = metrics.mean(values) if judge_ran else "not run"
    summary["passed"] = sum(not r.failed() for r in results)
    for mode in ("generated", "extractive", "abstained"):
        summary[f"mode_{mode}"] = sum(r.mode == mode for r in ok)
    return summary


def by_kind(results: list[Result]) -> dict[str, dict[str, Any]]:
    """The summary per question kind (single, multi, follow-up, unanswerable, ...)."""
    kinds = sorted({r.kind or "unlabelled" for r in results})
    return {k: summarize([r for r in results if (r.kind or "unlabelled") == k], judge_ran=False) for k in kinds}


def result_dicts(results: list[Result]) -> list[dict[str, Any]]:
    return [asdict(r) | {"failed": r.failed()} for r in results]


def timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")

"""Optional LLM judge: llama-index's faithfulness, relevancy and correctness evaluators on an OpenAI-compatible
endpoint (`--judge-base-url`, `--judge-model`, key from `$RAG_JUDGE_API_KEY`), run on the query engine's own
`Response` (its source nodes are the contexts judged). Without one, the report says "not run" for these columns;
no number is made up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from llama_index.core.base.response.schema import Response

from rag.errors import ConfigError


@dataclass(frozen=True)
class JudgeSettings:
    base_url: str
    model: str
    api_key_env: str = "RAG_JUDGE_API_KEY"
    timeout_s: float = 120.0


class Judge:
    """Scores one answer with three llama-index evaluators; a failing evaluator gives its error, not a score."""

    def __init__(self, settings: JudgeSettings):
        from llama_index.core.evaluation import CorrectnessEvaluator, FaithfulnessEvaluator, RelevancyEvaluator
        from llama_index.llms.openai_like import OpenAILike

        if not settings.base_url or not settings.model:
            raise ConfigError("the judge needs --judge-base-url and --judge-model")
        llm = OpenAILike(
            model=settings.model,
            api_base=settings.base_url,
            api_key=os.environ.get(settings.api_key_env) or "not-needed",
            is_chat_model=True,
            temperature=0.0,
            timeout=settings.timeout_s,
            max_retries=1,
        )
        self.name = f"{settings.model} at {settings.base_url}"
        self.faithfulness = FaithfulnessEvaluator(llm=llm)
        self.relevancy = RelevancyEvaluator(llm=llm)
        self.correctness = CorrectnessEvaluator(llm=llm)

    def evaluate(self, question: str, response: Response, reference: str | None) -> dict[str, Any]:
        """`judge_faithfulness` and `judge_relevancy` (0 or 1), `judge_correctness` (1-5, needs a reference), each
        from llama-index's `evaluate_response` on a `PaperQueryEngine` response (`rag.llamaindex.to_response`)."""
        out: dict[str, Any] = {}
        jobs: list[tuple[str, Any, dict[str, Any]]] = [
            ("judge_faithfulness", self.faithfulness, {}),
            ("judge_relevancy", self.relevancy, {}),
        ]
        if reference:
            jobs.append(("judge_correctness", self.correctness, {"reference": reference}))
        for name, evaluator, extra in jobs:
            try:
                result = evaluator.evaluate_response(query=question, response=response, **extra)
                score = result.score
                out[name] = float(score) if score is not None else (1.0 if result.passing else 0.0)
            except Exception as exc:  # noqa: BLE001 - a judge failure is recorded per question
                out[name] = f"error: {type(exc).__name__}: {exc}"[:300]
        return out

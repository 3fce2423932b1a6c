"""`rag eval`: load a dataset, answer and score every question, write the report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from eval.calibrate import tradeoff
from eval.dataset import load_dataset
from eval.judge import Judge, JudgeSettings
from eval.report import write_report
from eval.runner import Runner, by_kind, result_dicts, summarize, timestamp
from rag.config import Settings
from rag.pipeline import Pipeline

SUPPORT_MODEL = (
    "rag.citations.SupportScorer (all-MiniLM-L6-v2 similarity mixed with word overlap, threshold {t}); "
    "no NLI model can be installed offline"
)


def run_eval(
    dataset: Path,
    settings: Settings,
    out: Path,
    judge: JudgeSettings | None = None,
    limit: int | None = None,
    progress: bool = True,
    pipeline: Pipeline | None = None,
    ablate: str | None = None,
) -> dict[str, Any]:
    """Run the harness; writes report.json, report.md and plots into `out` and returns the report."""
    from tqdm import tqdm

    records = load_dataset(dataset)[:limit]
    started, t0 = timestamp(), time.perf_counter()
    pipeline = pipeline or Pipeline(settings)
    runner = Runner(settings, pipeline, Judge(judge) if judge else None)
    bar = tqdm(total=len(records), desc="questions", unit="q", disable=not progress)
    results = runner.run(records, progress=lambda _record: bar.update())
    bar.close()
    report = {
        "meta": {
            "dataset": str(dataset),
            "dataset_name": dataset.stem,
            "synthetic": any(r.synthetic for r in records),
            "model": pipeline.llm.name,
            "llm_backend": settings.llm.backend,
            "k": settings.retrieval.k,
            "ablate": ablate,
            "embed_model": settings.embed_model,
            "support_model": SUPPORT_MODEL.format(t=settings.answer.support_threshold),
            "judge": runner.judge.name if runner.judge else None,
            "started": started,
            "seconds": round(time.perf_counter() - t0, 1),
        },
        "summary": summarize(results, judge_ran=runner.judge is not None),
        "by_kind": by_kind(results),
        "tradeoff": tradeoff(results, pipeline.rules()),
        "questions": result_dicts(results),
    }
    write_report(report, out)
    return report

"""Answer latency on the seed index, per bundled model, against a baseline in the same run.

    python benchmarks/latency.py [--models tiny fast default] [--repeat 1]

For each model, every question is answered twice: by the pipeline as configured (top-k evidence sentences in
the prompt), and by the baseline (the same model answering from the top 3 whole abstracts). Prints the median
and 95th percentile of retrieval time, time to first token and total time, and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import replace

from rag.config import Settings
from rag.llm import load_llm
from rag.pipeline import Pipeline
from rag.retrieve import Retriever

QUESTIONS = [
    "Which optimizer makes 4-bit LLM training more stable than Adam?",
    "How can recommender systems avoid spurious correlations between user interests?",
    "What method detects jamming in 5G networks?",
    "How do you predict face attributes in the wild?",
    "How can large language models be made to reason better?",
    "How do diffusion models generate high-resolution images?",
    "How can hallucination in vision-language models be reduced?",
    "What is BatchFormer?",
]
METRICS = ("retrieval_s", "first_token_s", "total_s")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(pipeline: Pipeline, repeat: int, **kwargs: object) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {m: [] for m in METRICS}
    for _ in range(repeat):
        for question in QUESTIONS:
            answer = pipeline.ask(question, **kwargs)
            for metric in METRICS:
                if metric in answer.timings:
                    out[metric].append(answer.timings[metric])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["tiny", "fast", "default"])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    base = Settings.from_env()
    retriever = Retriever(base)
    print(f"{len(QUESTIONS)} questions x {args.repeat}; seconds, median / p95\n")
    print(f"{'model':<9}{'prompt':<18}" + "".join(f"{m:>22}" for m in METRICS))
    for model in args.models:
        settings = replace(base, llm=replace(base.llm, backend=model))
        llm = load_llm(settings.llm)
        pipeline = Pipeline(settings, llm=llm, retriever=retriever)
        pipeline.ask(QUESTIONS[0])  # warm-up: model load and caches
        ours = run(pipeline, args.repeat)
        baseline = run(pipeline, args.repeat, k=3, context="abstracts")
        for label, res in (("evidence (ours)", ours), ("3 abstracts (base)", baseline)):
            cells = "".join(
                f"{statistics.median(res[m]):>13.2f} / {p95(res[m]):>6.2f}" if res[m] else f"{'-':>22}" for m in METRICS
            )
            print(f"{model:<9}{label:<18}{cells}")
        ratio = statistics.median(ours["first_token_s"]) / statistics.median(baseline["first_token_s"])
        print(f"{model:<9}{'ratio ours/base':<18}{'':>22}{ratio:>22.2f}")


if __name__ == "__main__":
    main()

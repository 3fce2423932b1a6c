"""Answer latency on the seed index, per bundled model: the pipeline as configured against the earlier prompt.

    python benchmarks/latency.py [--models tiny fast default] [--repeat 1]

For each model, the 8 questions are answered twice in the same process: by the pipeline as configured (fixed
prefix kept in llama.cpp's KV cache, 3 sources, adaptive evidence budget) and by the earlier configuration (the
plain prompt, 4 sources, 150 evidence words spread over them). Each block starts with an unmeasured warm-up
question, so both measure the steady state a server sees. Prints medians and 95th percentiles of retrieval time,
time to first token and total time, the prompt tokens llama.cpp evaluated, and the ratio of the first-token
medians. The llama.cpp build in use (AVX-512 or portable) is printed; `RAG_LLAMA_LIB=portable` forces the
portable one (benchmarks/llama_builds.py compares the two builds directly).
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
WARM_UP = "What does the Zoology paper find about efficient language models?"
METRICS = ("retrieval_s", "first_token_s", "total_s", "prompt_tokens")
EARLIER = {
    "answer__prompt": "plain",
    "retrieval__k": 4,
    "retrieval__prompt_words": 150,
    "retrieval__adaptive_budget": False,
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(pipeline: Pipeline, repeat: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {m: [] for m in METRICS}
    pipeline.ask(WARM_UP)
    for _ in range(repeat):
        for question in QUESTIONS:
            answer = pipeline.ask(question)
            for metric in METRICS[:3]:
                if metric in answer.timings:
                    out[metric].append(answer.timings[metric])
            if answer.mode != "abstained" or answer.raw_answer:
                out["prompt_tokens"].append(getattr(pipeline.llm, "last_prompt_tokens", 0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["tiny", "fast", "default"])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    base = Settings.from_env()
    retriever = Retriever(base)
    print(f"{len(QUESTIONS)} questions x {args.repeat}; seconds (tokens), median / p95\n")
    print(f"{'model':<9}{'build':<9}{'prompt':<18}" + "".join(f"{m:>22}" for m in METRICS))
    for model in args.models:
        settings = replace(base, llm=replace(base.llm, backend=model))
        llm = load_llm(settings.llm)
        build = getattr(llm, "build", "-")
        ours = run(Pipeline(settings, llm=llm, retriever=retriever), args.repeat)
        earlier = run(Pipeline(settings.override(**EARLIER), llm=llm, retriever=retriever), args.repeat)
        for label, res in (("prefix (ours)", ours), ("earlier prompt", earlier)):
            cells = "".join(
                f"{statistics.median(res[m]):>13.2f} / {p95(res[m]):>6.2f}" if res[m] else f"{'-':>22}" for m in METRICS
            )
            print(f"{model:<9}{build:<9}{label:<18}{cells}")
        ratio = statistics.median(ours["first_token_s"]) / statistics.median(earlier["first_token_s"])
        print(f"{model:<9}{build:<9}{'ratio ours/earlier':<18}{'':>22}{ratio:>22.2f}")


if __name__ == "__main__":
    main()

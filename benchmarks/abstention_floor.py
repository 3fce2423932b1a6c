"""Calibrate the abstention floor: best dense similarity of in-scope vs out-of-scope questions on the seed index.

    python benchmarks/abstention_floor.py

Prints each question's best chunk cosine and the gap between the two groups; `RetrievalSettings.floor` should
sit inside that gap.
"""

from __future__ import annotations

from rag.config import Settings
from rag.retrieve import Retriever

IN_SCOPE = [
    "Which optimizer makes 4-bit LLM training more stable than Adam?",
    "How can recommender systems avoid spurious correlations between user interests?",
    "What method detects jamming in 5G networks?",
    "How do you predict face attributes in the wild?",
    "Which papers study multi-label class incremental learning with prompts?",
    "What is BatchFormer?",
    "How can large language models be made to reason better?",
    "Which work proposes a new benchmark for video understanding?",
    "How do diffusion models generate images faster?",
    "What datasets are used to evaluate code generation?",
    "Is there a paper about robot manipulation?",
    "How to reduce hallucination in LLMs?",
]
OUT_OF_SCOPE = [
    "Who won the 2018 FIFA World Cup?",
    "What is the maximum daily dose of ibuprofen for an adult?",
    "How do I configure PostgreSQL replication?",
    "What is the capital of Australia?",
    "How much paracetamol can a child take?",
    "Who won the NBA finals in 2016?",
    "How do I set up a MySQL database user?",
    "What's a good recipe for lasagna?",
    "How tall is Mount Everest?",
    "How do I renew my passport?",
    "What are the symptoms of diabetes?",
    "Which team won the Super Bowl in 2020?",
]


def main() -> None:
    settings = Settings.from_env()
    retriever = Retriever(settings)
    best = {}
    for group, questions in (("in-scope", IN_SCOPE), ("out-of-scope", OUT_OF_SCOPE)):
        best[group] = []
        for question in questions:
            score = retriever.top_similarity(retriever.rank(question, 3))
            best[group].append(score)
            print(f"{group:<13}{score:6.3f}  {question}")
    low_in, high_out = min(best["in-scope"]), max(best["out-of-scope"])
    print(f"\nlowest in-scope {low_in:.3f}, highest out-of-scope {high_out:.3f}, floor {settings.retrieval.floor:.2f}")
    print("floor inside the gap" if high_out < settings.retrieval.floor <= low_in else "floor OUTSIDE the gap")


if __name__ == "__main__":
    main()

"""Questions from another field: SciFact's claims asked as yes/no questions over its biomedical abstracts.

    python benchmarks/claim_questions.py ../shared/benchmarks/scifact --split train --to eval-output/claims-train.jsonl
    python benchmarks/claim_questions.py ../shared/benchmarks/scifact --split test --to eval-output/claims-test.jsonl
    rag eval --home .rag/beir/scifact --dataset eval-output/claims-train.jsonl --out eval-output/claims-train

The seed corpus is machine learning; users bring other fields, and the development set cannot show how the
decision (`rag.decide`) behaves there. Each claim ("Statins reduce hip fractures.") becomes "Is it true that
statins reduce hip fractures?", answerable, since SciFact's corpus holds the abstracts its claims were checked
against (the index is the one `rag eval beir` builds). `--split train` takes 40 claims outside the 300 test
queries (their gold papers are the evidence abstracts SciFact's annotations name in `queries.jsonl`; a claim without
evidence has none) plus unanswerable questions: the development set's and eight written for a biomedical corpus;
it is the split to reason from. `--split test` takes 40 of the test queries with
their qrels as gold papers, a check only. The files are written under `eval-output/` (SciFact's licence keeps its
text out of the project).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from eval.beir import load_queries
from eval.dataset import DEV, Record, load_dataset, write_dataset

BIOMEDICAL_UNANSWERABLE = [  # what a user of a biomedical corpus might ask that SciFact's abstracts do not answer
    "What efficacy did the Moderna mRNA-1273 COVID-19 vaccine show in its phase 3 trial?",
    "Which GLP-1 agonist was approved for weight loss in teenagers in 2022?",
    "How long should a sprained ankle be iced each day?",
    "What is the recommended tire pressure for a mountain bike?",
    "Who discovered penicillin and in which year?",
    "What does the AlphaFold 2 paper report about CASP14 accuracy?",
    "How many hospital beds does the Mayo Clinic have?",
    "What is the best diet for a pet rabbit?",
]


def as_question(claim: str) -> str:
    """'Statins reduce hip fractures.' -> 'Is it true that statins reduce hip fractures?' (acronyms kept)."""
    claim = claim.strip().rstrip(".")
    return f"Is it true that {claim if claim[:2].isupper() else claim[0].lower() + claim[1:]}?"


def claim_records(folder: Path, split: str, n: int = 40) -> list[Record]:
    """The question set of one split (see the module docstring); the same records on every run."""
    test, qrels = load_queries(folder, "test")
    if split == "test":
        ids = sorted(test, key=int)
        random.Random(0).shuffle(ids)
        return [
            Record(f"scifact-{i}", as_question(test[i]), True, gold=sorted(qrels[i]), kind="single") for i in ids[:n]
        ]
    claims = [json.loads(line) for line in (folder / "queries.jsonl").read_text().splitlines() if line.strip()]
    train = [c for c in claims if c["_id"] not in test]
    random.Random(1).shuffle(train)
    records = [
        Record(f"train-{c['_id']}", as_question(c["text"]), True, gold=sorted(c["metadata"] or {}), kind="single")
        for c in train[:n]
    ]
    records += [Record(r.id, r.question, False, kind="unanswerable") for r in load_dataset(DEV) if not r.answerable]
    records += [
        Record(f"bio-u-{i:02d}", q, False, kind="unanswerable") for i, q in enumerate(BIOMEDICAL_UNANSWERABLE, 1)
    ]
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("beir", type=Path, help="a BEIR SciFact folder (corpus.jsonl, queries.jsonl, qrels/)")
    parser.add_argument("--split", choices=("train", "test"), default="train")
    parser.add_argument("--n", type=int, default=40, help="claims to take")
    parser.add_argument("--to", type=Path, required=True, help="output JSONL")
    args = parser.parse_args()
    records = claim_records(args.beir, args.split, args.n)
    write_dataset(records, args.to)
    print(f"{len(records)} questions ({sum(r.answerable for r in records)} answerable) -> {args.to}")


if __name__ == "__main__":
    main()

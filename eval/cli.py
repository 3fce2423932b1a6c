"""The `rag eval` command family (also `python -m eval`): run, compare, beir, generate, from-feedback."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from eval.dataset import DEV
from rag.config import Settings
from rag.errors import InputError

# Each answering lever of issue 9, switched off (settings overrides).
ABLATIONS: dict[str, dict[str, object]] = {
    "decision": {"answer__pipeline_decides": False, "answer__extractive": False},  # the model's refusal is final
    "budget": {"retrieval__adaptive_budget": False},  # 120 words spread over all sources
    "comparison": {"retrieval__compare_words": 0},  # a comparison's papers share the leader's 130 words
    "cover": {"retrieval__cover_names": False},  # no extra search for a named paper the ranking missed
    "prompt": {"answer__prompt": "plain"},  # the earlier prompt: no fixed prefix, no worked example
    "extractive": {"answer__extractive": False},  # abstain instead of quoting evidence
    "facts": {"answer__check_facts": False},  # numbers and names not checked
    "leader": {"retrieval__leader_only": "off"},  # other sources shown beside a clear leader (the fast model's)
}


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser, llm: argparse.ArgumentParser) -> None:
    """Register `eval` and its subcommands; plain `rag eval [options]` runs the harness."""
    ev = sub.add_parser("eval", parents=[common, llm], help="offline evaluation (rag eval --help)")
    ev.add_argument(
        "--dataset", type=Path, default=DEV, help=f"JSONL dataset (default {DEV.relative_to(DEV.parents[2])})"
    )
    ev.add_argument("--out", type=Path, default=Path("eval-output/latest"), help="report folder")
    ev.add_argument("--limit", type=int, help="only the first N questions")
    ev.add_argument("--judge-base-url", help="OpenAI-compatible endpoint of a judge LLM (key: $RAG_JUDGE_API_KEY)")
    ev.add_argument("--judge-model", help="the judge's model name")
    ev.add_argument("--no-progress", action="store_true")
    ev.add_argument("--ablate", choices=sorted(ABLATIONS), help="switch one answering lever off (README: ablation)")
    ev_sub = ev.add_subparsers(dest="eval_command")

    cmp = ev_sub.add_parser("compare", help="differences between two report folders")
    cmp.add_argument("a", type=Path)
    cmp.add_argument("b", type=Path)
    cmp.add_argument("--out", type=Path, dest="compare_out", help="also write comparison.md/json here")

    beir = ev_sub.add_parser("beir", parents=[common], help="retrieval benchmark on a BEIR dataset folder")
    beir.add_argument("path", type=Path, help="folder with corpus.jsonl, queries.jsonl, qrels/test.tsv")
    beir.add_argument("--mode", action="append", choices=["dense", "bm25", "hybrid"], help="default: all three")
    beir.add_argument("--limit", type=int, dest="beir_limit", help="only the first N test queries")
    beir.add_argument("--json", action="store_true")

    gen = ev_sub.add_parser("generate", parents=[common, llm], help="synthetic questions from the abstracts")
    gen.add_argument("--n", type=int, default=50, help="papers to sample")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--to", type=Path, default=Path("eval/datasets/synthetic.jsonl"), help="output JSONL")

    fb = ev_sub.add_parser("from-feedback", parents=[common], help="thumbs-down votes as records to review")
    fb.add_argument("--to", type=Path, default=Path("eval/datasets/feedback.jsonl"), help="output JSONL")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser, llm: argparse.ArgumentParser) -> dict:
    """`rag eval` (an entry point of `paper_rag.commands`)."""
    add_parser(sub, common, llm)
    return {"eval": run}


def run(args: argparse.Namespace, settings: Settings) -> int:
    command = getattr(args, "eval_command", None)
    if command == "compare":
        return _compare(args)
    if command == "beir":
        return _beir(args, settings)
    if command == "generate":
        return _generate(args, settings)
    if command == "from-feedback":
        return _from_feedback(args, settings)
    return _run(args, settings)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from eval.harness import run_eval
    from eval.judge import JudgeSettings
    from eval.report import fmt

    judge = JudgeSettings(args.judge_base_url, args.judge_model or "") if args.judge_base_url else None
    if args.ablate:
        settings = settings.override(**ABLATIONS[args.ablate])
    report = run_eval(
        args.dataset, settings, args.out, judge, args.limit, progress=not args.no_progress, ablate=args.ablate
    )
    for name, value in report["summary"].items():
        print(f"{name + ':':<24}{fmt(value)}")
    print(f"\nreport: {args.out / 'report.md'} (also report.json, metrics.png, latency.png)")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from eval.report import compare, compare_markdown, load_report

    result = compare(load_report(args.a), load_report(args.b))
    text = compare_markdown(result)
    print(text)
    if args.compare_out:
        args.compare_out.mkdir(parents=True, exist_ok=True)
        (args.compare_out / "comparison.md").write_text(text, encoding="utf-8")
        (args.compare_out / "comparison.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


def _beir(args: argparse.Namespace, settings: Settings) -> int:
    from eval.beir import beir_settings, evaluate, table

    if not (args.path / "corpus.jsonl").exists():
        raise InputError("not a BEIR dataset folder (no corpus.jsonl)", args.path)
    modes = tuple(args.mode or ("dense", "bm25", "hybrid"))
    results = evaluate(args.path, beir_settings(args.path, settings), modes, args.beir_limit)
    print(json.dumps([asdict(r) for r in results], indent=2) if args.json else table(results))
    return 0


def _generate(args: argparse.Namespace, settings: Settings) -> int:
    from eval.dataset import write_dataset
    from eval.generate import generate, sample_papers
    from rag.llm import load_llm
    from rag.store import ChunkStore

    papers = sample_papers(ChunkStore(settings, create=False), args.n, args.seed)
    records = generate(load_llm(settings.llm), papers)
    write_dataset(records, args.to)
    print(f"wrote {len(records)} synthetic questions (from {len(papers)} papers) to {args.to}")
    return 0


def _from_feedback(args: argparse.Namespace, settings: Settings) -> int:
    from eval.dataset import write_dataset
    from eval.feedback import records_from_feedback
    from rag.feedback import FeedbackLog

    log = FeedbackLog(settings.home / "feedback.jsonl")
    records = records_from_feedback(log.read())
    write_dataset(records, args.to)
    print(f"wrote {len(records)} records from thumbs-down votes in {log.path} to {args.to}; review them first")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m eval ...` is `rag eval ...`."""
    import sys

    from rag.cli import main as rag_main

    return rag_main(["eval", *(sys.argv[1:] if argv is None else argv)])

"""Command line: a thin layer over the library; errors become one clear message and an exit code."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from rag.config import Settings
from rag.errors import RagError
from rag.options import common_options, llm_options, settings_from
from rag.shard import Shard

if TYPE_CHECKING:
    from rag.ingest import IngestSummary

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2
Handler = Callable[[argparse.Namespace, Settings], int]


PLUGINS = "paper_rag.commands"  # entry points: register(sub, common, llm) -> {command: handler}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Handler]]:
    """The parser of `rag`, and the handler of each command (plugged-in ones included)."""
    parser = argparse.ArgumentParser(prog="rag", description="Ask questions about research-paper abstracts.")
    common, llm = common_options(), llm_options()
    sub = parser.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", parents=[common], help="parse, chunk and embed papers into the index")
    ing.add_argument("paths", nargs="*", type=Path, help="files or folders (default: data/)")
    ing.add_argument("--prune", action="store_true", help="remove papers that are no longer in the sources")
    ing.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    ing.add_argument("--batch-chunks", type=int, help="chunks embedded and written per transaction")
    ing.add_argument("--no-progress", action="store_true", help="no progress bar")
    ing.add_argument("--verbose", action="store_true", help="print a line to stderr after each written batch")
    split = ing.add_mutually_exclusive_group()
    split.add_argument(
        "--workers", type=int, default=1, help="processes writing at once, one shard each (needs a Chroma server)"
    )
    split.add_argument(
        "--shard", type=_shard, metavar="I/N", help="write only shard I of N (run the other shards elsewhere)"
    )

    ask = sub.add_parser("ask", parents=[common, llm], help="answer one question, citing the abstracts")
    ask.add_argument("question", help="the question (quote it)")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ask.add_argument("--bibtex", action="store_true", help="then print the cited papers as BibTeX")
    _year_options(ask)

    chat = sub.add_parser("chat", parents=[common, llm], help="a conversation in the terminal, with follow-ups")
    _year_options(chat)

    st = sub.add_parser("stats", parents=[common], help="what the index holds")
    st.add_argument("--json", action="store_true", help="print as one JSON object")

    handlers: dict[str, Handler] = {"ingest": cmd_ingest, "stats": cmd_stats, "ask": cmd_ask, "chat": cmd_chat}
    for plugin in entry_points(group=PLUGINS):  # `rag eval` (eval/), `rag serve` (ui/): the library imports neither
        handlers.update(plugin.load()(sub, common, llm))
    return parser, handlers


def _year_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=int, metavar="YEAR", help="only papers published in or after YEAR")
    parser.add_argument("--until", type=int, metavar="YEAR", help="only papers published in or before YEAR")


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rag.ingest import ingest

    paths = args.paths or list(settings.data_paths)
    if args.workers != 1:
        from rag.workers import ingest_in_workers

        summary = ingest_in_workers(paths, settings, args.workers, prune=args.prune)
        return _ingested(summary, args.json)

    def report(done: int, total: int, papers: list[str]) -> None:
        print(f"wrote {done}/{total} chunks ({len(papers)} papers)", file=sys.stderr, flush=True)

    summary = ingest(
        paths,
        settings,
        prune=args.prune,
        progress=False if args.no_progress or args.verbose else None,
        on_batch=report if args.verbose else None,
        shard=args.shard,
    )
    return _ingested(summary, args.json)


def _ingested(summary: IngestSummary, as_json: bool) -> int:
    """Print an ingest's summary; the exit status says whether every source could be read."""
    if as_json:
        print(json.dumps(summary.to_dict(), indent=2))
    else:
        print(summary.text())
        if summary.papers:
            print('\nAsk a question with: rag ask "your question"')
    return EXIT_INPUT if summary.errors else EXIT_OK


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from rag.store import ChunkStore

    stats = ChunkStore(settings, create=False).stats()
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for key, value in stats.items():
            print(f"{key + ':':<17}{value}")
    return EXIT_OK


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.cite import bibtex
    from rag.display import answer_text
    from rag.metadata import where_years
    from rag.pipeline import Pipeline, validate_question

    validate_question(args.question, settings.answer.max_question_chars)  # fail before loading models
    where = where_years(args.since, args.until)
    pipeline = Pipeline(settings)
    live = sys.stdout.isatty() and not args.json
    for event in pipeline.stream(args.question, where=where):
        if event.kind == "token" and live:
            print(event.text, end="", flush=True)
        elif event.kind == "answer" and event.answer is not None:
            if args.json:
                print(json.dumps(event.answer.to_dict(), indent=2, ensure_ascii=False))
            else:
                if live:
                    print("\n" + "-" * 40)
                print(answer_text(event.answer))
            if args.bibtex:
                print("\n" + (bibtex([s for s in event.answer.sources if s.cited]) or "% no paper was cited"))
    return EXIT_OK


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from rag.display import answer_text
    from rag.metadata import where_years
    from rag.pipeline import Pipeline

    where = where_years(args.since, args.until)
    pipeline = Pipeline(settings)
    history: list[tuple[str, str]] = []
    print("Ask about the indexed papers. /new starts over, /quit (or Ctrl-D) ends.")
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            print()
            return EXIT_OK
        if question in ("/quit", "/exit"):
            return EXIT_OK
        if question == "/new":
            history.clear()
            print("(new conversation)")
            continue
        try:
            for event in pipeline.stream(question, history, where=where):
                if event.kind == "answer" and event.answer is not None:
                    print(answer_text(event.answer))
                    history.append((question, event.answer.answer))
        except RagError as exc:
            print(f"rag: {exc}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `rag` command."""
    argv = sys.argv[1:] if argv is None else argv
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from(args)
        return handlers[args.command](args, settings)
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130

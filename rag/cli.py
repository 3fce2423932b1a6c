"""Command line: a thin layer over the library; errors become one clear message and an exit code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.config import Settings
from rag.errors import RagError

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Ask questions about research-paper abstracts.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", type=Path, help="index folder (default: .rag in the project, or $RAG_HOME)")
    common.add_argument("--chroma-host", help="use a Chroma server at this host ($RAG_CHROMA_HOST)")
    common.add_argument("--chroma-port", type=int, help="port of the Chroma server ($RAG_CHROMA_PORT, 8000)")
    common.add_argument("--embed-model", help="sentence-transformers model name or folder ($RAG_EMBED_MODEL)")
    sub = parser.add_subparsers(dest="command", required=True)

    ing = sub.add_parser("ingest", parents=[common], help="parse, chunk and embed papers into the index")
    ing.add_argument("paths", nargs="*", type=Path, help="files or folders (default: data/)")
    ing.add_argument("--prune", action="store_true", help="remove papers that are no longer in the sources")
    ing.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    ing.add_argument("--batch-chunks", type=int, help="chunks embedded and written per transaction")
    ing.add_argument("--no-progress", action="store_true", help="no progress bar")
    ing.add_argument("--verbose", action="store_true", help="print a line to stderr after each written batch")

    st = sub.add_parser("stats", parents=[common], help="what the index holds")
    st.add_argument("--json", action="store_true", help="print as one JSON object")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the command line."""
    return Settings.from_env(
        home=args.home,
        embed_model=args.embed_model,
        store__chroma_host=args.chroma_host,
        store__chroma_port=args.chroma_port,
        ingest__batch_chunks=getattr(args, "batch_chunks", None),
    )


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rag.ingest import ingest

    paths = args.paths or list(settings.data_paths)

    def report(done: int, total: int, papers: list[str]) -> None:
        print(f"wrote {done}/{total} chunks ({len(papers)} papers)", file=sys.stderr, flush=True)

    summary = ingest(
        paths,
        settings,
        prune=args.prune,
        progress=False if args.no_progress or args.verbose else None,
        on_batch=report if args.verbose else None,
    )
    if args.json:
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


COMMANDS = {"ingest": cmd_ingest, "stats": cmd_stats}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `rag` command."""
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
        return COMMANDS[args.command](args, settings)
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130

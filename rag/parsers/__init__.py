"""Turn source paths into distinct papers. A file is taken whole or not at all.

`load_sources` never raises for a bad file: it reports the error and goes on with the other files, so the
caller decides (the ingest command ingests the good files and exits non-zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rag.config import IngestSettings
from rag.errors import InputError
from rag.parsers.bibtex import parse_bibtex
from rag.parsers.listing import parse_listing
from rag.parsers.pubmed import parse_pubmed
from rag.parsers.references import Skipped
from rag.parsers.ris import parse_ris
from rag.parsers.tabular import parse_csv, parse_jsonl
from rag.parsers.text import read_lines
from rag.records import Paper

SUFFIXES = {
    ".txt": "listing",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".bib": "bibtex",
    ".ris": "ris",
    ".xml": "pubmed",
}
KINDS = (
    "listing dumps (.txt), JSON Lines (.jsonl, arXiv snapshot too), .csv, BibTeX (.bib), RIS (.ris), PubMed XML (.xml)"
)
REFERENCE_PARSERS = {"bibtex": parse_bibtex, "ris": parse_ris, "pubmed": parse_pubmed, "jsonl": parse_jsonl}


@dataclass
class LoadResult:
    """Distinct papers from the files that parsed, the per-file entry counts, and the errors of the rest."""

    papers: dict[str, Paper] = field(default_factory=dict)
    entries: dict[str, int] = field(default_factory=dict)  # file -> entries read from it
    errors: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)  # entries without an abstract, named

    @property
    def entry_count(self) -> int:
        """Entries read from all good files (a paper listed twice counts twice)."""
        return sum(self.entries.values())


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[InputError]]:
    """Files named directly, plus the supported files under each folder (sorted, hidden ones skipped)."""
    files: list[Path] = []
    errors: list[InputError] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUFFIXES and not any(s.startswith(".") for s in p.parts)
            )
            if not found:
                errors.append(InputError(f"folder holds no supported files ({KINDS})", path))
            files.extend(found)
        elif not path.exists():
            errors.append(InputError("no such file or directory", path))
        elif path.suffix.lower() not in SUFFIXES:
            errors.append(InputError(f"unsupported file type '{path.suffix or path.name}' (use {KINDS})", path))
        else:
            files.append(path)
    return list(dict.fromkeys(files)), errors


def parse_file(path: Path, limits: IngestSettings, source: str | None = None) -> tuple[list[Paper], list[Skipped]]:
    """Parse one file by its suffix: its papers and the entries skipped for having no abstract. Raises InputError
    naming the file and line (or entry)."""
    source = source or path.name
    lines = read_lines(path, limits.max_line_chars)
    kind = SUFFIXES[path.suffix.lower()]
    if kind == "listing":
        return parse_listing(path, lines, source, limits.max_title_chars), []
    if kind == "csv":
        return parse_csv(path, lines, source, limits.max_title_chars, limits.max_abstract_chars), []
    return REFERENCE_PARSERS[kind](path, lines, source, limits.max_title_chars, limits.max_abstract_chars)


def merge(into: dict[str, Paper], paper: Paper, warnings: list[str]) -> None:
    """Add a paper, or fold its listings into the one already there (later content wins, with a warning)."""
    seen = into.get(paper.paper_id)
    if seen is None:
        into[paper.paper_id] = paper
        return
    if seen.content_hash != paper.content_hash:
        first = seen.listings[0]
        warnings.append(
            f"{paper.listings[0].source}:{paper.listings[0].line}: paper '{paper.paper_id}' differs from "
            f"{first.source}:{first.line}; keeping the later text"
        )
        seen.title, seen.abstract = paper.title, paper.abstract
    for name in ("url", "authors", "year", "venue", "doi", "key"):
        setattr(seen, name, getattr(seen, name) or getattr(paper, name))
    seen.listings.extend(item for item in paper.listings if item not in seen.listings)


def load_sources(paths: list[Path], limits: IngestSettings) -> LoadResult:
    """Parse every file under `paths`; bad files go to `errors` and contribute nothing."""
    result = LoadResult()
    files, result.errors = expand_paths(paths)
    names = _display_names(files)
    for path in files:
        try:
            papers, skipped = parse_file(path, limits, names[path])
        except InputError as exc:
            result.errors.append(exc)
            continue
        result.entries[names[path]] = len(papers) + len(skipped)
        result.skipped.extend(skipped)
        for paper in papers:
            merge(result.papers, paper, result.warnings)
    return result


def _display_names(files: list[Path]) -> dict[Path, str]:
    """A file's name, or its path where two files share a name."""
    counts: dict[str, int] = {}
    for path in files:
        counts[path.name] = counts.get(path.name, 0) + 1
    return {p: p.name if counts[p.name] == 1 else str(p) for p in files}

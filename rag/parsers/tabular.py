"""Parsers for JSON Lines (our own shape, BEIR `corpus.jsonl`, or the arXiv metadata snapshot) and CSV files."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from rag.errors import InputError
from rag.parsers.references import Entry, Skipped, split, to_paper
from rag.records import Listing, Paper, collapse_ws, paper_id_for, year_of

OPTIONAL = ("id", "url", "authors", "date")
ARXIV_FIELDS = {"id", "abstract", "categories"}  # with update_date or authors: a line of the arXiv snapshot


def is_arxiv_snapshot(record: dict[str, Any]) -> bool:
    """Whether a JSON record is a line of the arXiv metadata snapshot (Kaggle's `arxiv-metadata-oai-snapshot`)."""
    return set(record) >= ARXIV_FIELDS and ("update_date" in record or "authors" in record)


def arxiv_entry(record: dict[str, Any], line: int) -> Entry:
    """An arXiv snapshot line: the year comes from a new-style id (2401.01234 -> 2024), else from update_date."""
    arxiv_id = str(record.get("id") or "").strip()
    new_style = re.match(r"(\d{2})(\d{2})\.\d{4,5}", arxiv_id)
    year = 2000 + int(new_style.group(1)) if new_style else year_of(str(record.get("update_date") or ""))
    authors = record.get("authors_parsed")
    names = (
        tuple(" ".join(p for p in (parts[1], parts[0]) if p) for parts in authors if len(parts) >= 2)
        if isinstance(authors, list)
        else tuple(a.strip() for a in re.split(r",| and ", str(record.get("authors") or "")) if a.strip())
    )
    return Entry(
        line=line,
        title=str(record.get("title") or ""),
        abstract=str(record.get("abstract") or ""),
        authors=names,
        year=year,
        venue=str(record.get("journal-ref") or "") or f"arXiv ({record.get('categories')})",
        doi=str(record.get("doi") or ""),
        arxiv=arxiv_id,
        url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else "",
        where=f"arXiv {arxiv_id} (line {line})",
    )


def record_to_paper(
    record: dict[str, Any], path: Path, line: int, source: str, max_title_chars: int, max_abstract_chars: int
) -> Paper:
    """Turn one record (`title`+`abstract`, or BEIR `_id`+`title`+`text`) into a Paper."""
    if "abstract" in record:
        abstract, source_id = record.get("abstract"), record.get("id")
        title = record.get("title")
        if not isinstance(title, str) or not title.strip():
            raise InputError("record has no 'title' (a non-empty string is required)", path, line)
    elif "text" in record and "_id" in record:  # BEIR corpus record; BEIR titles may be empty
        abstract, source_id = record.get("text"), record.get("_id")
        title = record.get("title") or ""
        if not isinstance(title, str):
            raise InputError("'title' must be a string", path, line)
    else:
        found = ", ".join(sorted(map(str, record))) or "none"
        raise InputError(f"record lacks 'abstract' (or BEIR's '_id' and 'text'); its fields are: {found}", path, line)
    if not isinstance(abstract, str) or not abstract.strip():
        raise InputError("the abstract is empty or not a string", path, line)
    if len(abstract) > max_abstract_chars:
        raise InputError(f"abstract is {len(abstract):,} characters; the limit is {max_abstract_chars:,}", path, line)
    if len(title) > max_title_chars:
        raise InputError(f"title is {len(title):,} characters; the limit is {max_title_chars:,}", path, line)
    if source_id is not None and not isinstance(source_id, (str, int)):
        raise InputError("'id' must be a string or a number", path, line)
    authors = record.get("authors")
    if isinstance(authors, list):
        authors = ", ".join(str(a) for a in authors)
    url, date = record.get("url"), record.get("date")
    title = collapse_ws(title)
    return Paper(
        paper_id=paper_id_for(title, None if source_id is None else str(source_id)),
        title=title,
        abstract=collapse_ws(abstract),
        url=str(url).strip() if url else None,
        authors=str(authors).strip() if authors else None,
        listings=[Listing(source=source, line=line, date=str(date).strip() if date else None)],
    )


def parse_jsonl(
    path: Path, lines: list[str], source: str, max_title: int, max_abstract: int
) -> tuple[list[Paper], list[Skipped]]:
    """One JSON object a line; blank lines are skipped. arXiv snapshot lines without an abstract are skipped."""
    papers: list[Paper | Skipped] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg} at column {exc.colno})", path, number) from None
        if not isinstance(record, dict):
            raise InputError(f"expected a JSON object, found {type(record).__name__}", path, number)
        if is_arxiv_snapshot(record):
            papers.append(to_paper(arxiv_entry(record, number), path, source, max_title, max_abstract))
        else:
            papers.append(record_to_paper(record, path, number, source, max_title, max_abstract))
    if not papers:
        raise InputError("no records found", path)
    return split(papers)


def parse_csv(path: Path, lines: list[str], source: str, max_title: int, max_abstract: int) -> list[Paper]:
    """A header row naming at least `title` and `abstract` (any case); optional id, url, authors, date."""
    csv.field_size_limit(max(max_abstract, max_title) * 4 + 1024)
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in ("title", "abstract") if name not in header]
    if missing:
        raise InputError(
            f"CSV lacks the column(s) {', '.join(missing)}; its header has: {', '.join(header) or 'nothing'}",
            path,
            1,
        )
    papers = []
    try:
        for row in reader:
            record = {(k or "").strip().lower(): v for k, v in row.items() if k is not None}
            record = {k: v for k, v in record.items() if k in ("title", "abstract", *OPTIONAL) and v}
            record.setdefault("abstract", "")
            papers.append(record_to_paper(record, path, reader.line_num, source, max_title, max_abstract))
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", path, reader.line_num) from None
    if not papers:
        raise InputError("no rows after the header", path)
    return papers

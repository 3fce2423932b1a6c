"""RIS (`.ris`, from EndNote, Zotero, Web of Science or Scopus), read with `rispy`.

rispy skips what it does not understand, so the file's structure is checked first: every line is a tag line
("AB  - ...") or a continuation of one, every record opens with TY and closes with ER. A file that breaks this
is refused with the line named, instead of losing records silently.
"""

from __future__ import annotations

import re
from pathlib import Path

import rispy

from rag.errors import InputError
from rag.parsers.references import Entry, Skipped, first_last, split, to_paper
from rag.records import Paper, year_of

TAG = re.compile(r"^([A-Z][A-Z0-9])  -( |$)")


def parse_ris(
    path: Path, lines: list[str], source: str, max_title: int, max_abstract: int
) -> tuple[list[Paper], list[Skipped]]:
    """Every record of a .ris file."""
    starts = _record_lines(path, lines)
    records = rispy.loads("\n".join(lines))
    if len(records) != len(starts):  # pragma: no cover - the structure check above rules this out
        raise InputError(f"found {len(starts)} records but could read {len(records)}", path)
    results = []
    for line, record in zip(starts, records):
        urls = record.get("urls") or []
        entry = Entry(
            line=line,
            title=str(record.get("title") or record.get("primary_title") or record.get("translated_title") or ""),
            abstract=str(record.get("abstract") or record.get("notes_abstract") or ""),
            authors=tuple(first_last(a) for a in (record.get("authors") or record.get("first_authors") or [])),
            year=year_of(str(record.get("year") or record.get("publication_year") or record.get("date") or "")),
            venue=str(
                record.get("journal_name")
                or record.get("secondary_title")
                or record.get("alternate_title1")
                or record.get("publisher")
                or ""
            ),
            doi=str(record.get("doi") or ""),
            url=str(urls[0]) if urls else "",
            key=str(record.get("id") or ""),
        )
        results.append(to_paper(entry, path, source, max_title, max_abstract))
    return split(results)


def _record_lines(path: Path, lines: list[str]) -> list[int]:
    """The 1-based line of each record's TY tag; InputError at the first line that breaks the structure."""
    starts: list[int] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        tag = TAG.match(line)
        if not line.strip():
            continue
        if tag is None:
            if inside:
                continue  # a wrapped value continues the tag above
            raise InputError(f"not a RIS tag line (expected 'TY  - ...'): {line[:40]!r}", path, number)
        if tag.group(1) == "TY":
            if inside:
                raise InputError(f"record at line {starts[-1]} has no 'ER  -' before the next 'TY  -'", path, number)
            starts.append(number)
            inside = True
        elif not inside:
            raise InputError(f"tag {tag.group(1)} outside a record (records start with 'TY  -')", path, number)
        elif tag.group(1) == "ER":
            inside = False
    if inside:
        raise InputError(f"record at line {starts[-1]} never ends (no 'ER  -')", path, starts[-1])
    if not starts:
        raise InputError("no RIS records found", path)
    return starts

"""Parser for the daily research-paper listing dumps (`data/*.txt`).

Format: a few header lines, a listing-date line such as `Jul 31` (no year), then paragraphs separated by
blank lines, alternating: a one-line title, then its abstract.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from rag.errors import InputError
from rag.records import Listing, Paper, collapse_ws, paper_id_for

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DATE_LINE = re.compile(rf"^({'|'.join(MONTHS)})[a-z]*\.? +(\d{{1,2}})$")
HEADER_SEARCH_LINES = 30


def listing_date(line: str) -> str | None:
    """'Jul 31' -> '07-31'; None when the line is not a listing date.

    >>> listing_date("Jul 31"), listing_date("July 3"), listing_date("Subscribe")
    ('07-31', '07-03', None)
    """
    match = DATE_LINE.match(line.strip())
    if not match:
        return None
    day = int(match.group(2))
    if not 1 <= day <= 31:
        return None
    return f"{MONTHS.index(match.group(1)) + 1:02d}-{day:02d}"


def paragraphs(lines: list[str], start: int) -> Iterator[tuple[int, str]]:
    """Yield (1-based first line, text) of each blank-line-separated paragraph from index `start`."""
    first, buf = 0, []
    for index in range(start, len(lines)):
        line = lines[index].strip()
        if line:
            if not buf:
                first = index + 1
            buf.append(line)
        elif buf:
            yield first, " ".join(buf)
            buf = []
    if buf:
        yield first, " ".join(buf)


def parse_listing(path: Path, lines: list[str], source: str, max_title_chars: int) -> list[Paper]:
    """Parse one listing dump into papers (one per entry; duplicates are merged later)."""
    date, body_start = None, 0
    for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        date = listing_date(line)
        if date:
            body_start = index + 1
            break
    if date is None:
        raise InputError(
            f"no listing-date line (like 'Jul 31') in the first {HEADER_SEARCH_LINES} lines; "
            "is this a daily listing dump? (JSON Lines and CSV files need a .jsonl or .csv name)",
            path,
        )
    paras = list(paragraphs(lines, body_start))
    if not paras:
        raise InputError("no title/abstract entries after the listing date", path)
    if len(paras) % 2:
        line, _ = paras[-1]
        raise InputError("title without an abstract (entries must alternate title, abstract)", path, line)
    papers = []
    for (title_line, title), (_, abstract) in zip(paras[::2], paras[1::2]):
        if len(title) > max_title_chars:
            raise InputError(
                f"expected a one-line paper title here, found {len(title):,} characters; "
                "are titles and abstracts alternating, separated by blank lines?",
                path,
                title_line,
            )
        title = collapse_ws(title)
        papers.append(
            Paper(
                paper_id=paper_id_for(title),
                title=title,
                abstract=collapse_ws(abstract),
                listings=[Listing(source=source, line=title_line, date=date)],
            )
        )
    return papers

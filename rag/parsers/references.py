"""What the reference-manager and bibliographic-database parsers share: one entry becomes one Paper.

Entries without an abstract are normal in reference exports; they are skipped and named (`Skipped`), never
indexed half-empty. Anything else wrong with an entry refuses the whole file, naming the file and the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag.errors import InputError
from rag.records import Listing, Paper, clean_doi, collapse_ws, paper_id_for, reference_id


@dataclass(frozen=True)
class Skipped:
    """An entry left out of the index, and why."""

    source: str
    where: str  # "line 12" or "entry smith2020"
    title: str
    why: str

    def __str__(self) -> str:
        title = f" ({self.title[:60]})" if self.title else ""
        return f"{self.source}: {self.where}{title}: {self.why}"


@dataclass(frozen=True)
class Entry:
    """The fields one bibliographic entry offers, already plain text."""

    line: int
    title: str = ""
    abstract: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    venue: str = ""
    doi: str = ""
    arxiv: str = ""
    pmid: str = ""
    url: str = ""
    key: str = ""
    date: str | None = None
    where: str = ""  # how messages name the entry; default "entry KEY (line N)"


def to_paper(entry: Entry, path: Path, source: str, max_title: int, max_abstract: int) -> Paper | Skipped:
    """The entry as a Paper, or as Skipped when it has no abstract; InputError when it cannot be used at all."""
    where = entry.where or (f"entry {entry.key} (line {entry.line})" if entry.key else f"line {entry.line}")
    title, abstract = collapse_ws(entry.title), collapse_ws(entry.abstract)
    if not title:
        raise InputError(f"{where} has no title", path)
    if not abstract:
        return Skipped(source, where, title, "no abstract")
    if len(title) > max_title:
        raise InputError(f"{where}: title is {len(title):,} characters; the limit is {max_title:,}", path)
    if len(abstract) > max_abstract:
        raise InputError(f"{where}: abstract is {len(abstract):,} characters; the limit is {max_abstract:,}", path)
    doi = clean_doi(entry.doi)
    url = entry.url.strip() or (f"https://doi.org/{doi}" if doi else "")
    return Paper(
        paper_id=paper_id_for(title, reference_id(doi, entry.arxiv, entry.pmid)),
        title=title,
        abstract=abstract,
        url=url or None,
        authors=", ".join(a for a in (collapse_ws(a) for a in entry.authors) if a) or None,
        listings=[Listing(source=source, line=entry.line, date=entry.date)],
        year=entry.year,
        venue=collapse_ws(entry.venue) or None,
        doi=doi,
        key=entry.key or None,
    )


def first_last(name: str) -> str:
    """'Müller, Jörg' -> 'Jörg Müller'; names already in that order are kept.

    >>> first_last("Müller, Jörg"), first_last("Ada Lovelace"), first_last("{OpenAI}")
    ('Jörg Müller', 'Ada Lovelace', 'OpenAI')
    """
    name = name.replace("{", "").replace("}", "").strip()
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return f"{first} {last}".strip()
    return name


def split(results: list[Paper | Skipped]) -> tuple[list[Paper], list[Skipped]]:
    return [r for r in results if isinstance(r, Paper)], [r for r in results if isinstance(r, Skipped)]

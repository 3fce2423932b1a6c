"""How a retrieved paper is cited: a one-line reference for people, and BibTeX (written with `bibtexparser`)."""

from __future__ import annotations

import re
import unicodedata

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field

from rag.results import Source


def reference(source: Source) -> str:
    """'Authors (2019). Venue. doi:...' from what the index knows; '' when it knows none of it.

    >>> s = Source(1, "p", "T", [], "", "Ann Lee, Bo Chen", "", [], 0.0, year=2019, venue="Cell", doi="10.1/x")
    >>> reference(s)
    'Ann Lee, Bo Chen (2019). Cell. doi:10.1/x'
    """
    parts = []
    if source.authors or source.year:
        parts.append(" ".join(p for p in (source.authors, f"({source.year})" if source.year else "") if p))
    if source.venue:
        parts.append(source.venue)
    if source.doi:
        parts.append(f"doi:{source.doi}")
    return ". ".join(parts)


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}" if doi else ""


def bibtex(sources: list[Source]) -> str:
    """BibTeX entries for the given papers (an @article when the venue is known, else @misc); each keeps the
    citation key it was imported with, or gets one made from its first author, year and title."""
    library = Library()
    used: set[str] = set()
    for source in sources:
        key = source.key or _make_key(source)
        while key in used:
            key += "a"
        used.add(key)
        fields = {
            "title": source.title,
            "author": " and ".join(a.strip() for a in source.authors.split(",") if a.strip()),
            "year": str(source.year or ""),
            "journal": source.venue,
            "doi": source.doi,
            "url": source.url,
        }
        entry_type = "article" if source.venue and not source.venue.startswith("arXiv") else "misc"
        library.add(Entry(entry_type, key, [Field(k, _braced(v)) for k, v in fields.items() if v]))
    return bibtexparser.write_string(library).strip() + "\n" if sources else ""


def _braced(value: str) -> str:
    """Braces are BibTeX syntax: unbalanced ones in a title would break the file, so they go."""
    return value.replace("{", "").replace("}", "")


def _make_key(source: Source) -> str:
    """'lecun2015deep' style: first author's family name, year, first title word (ASCII only).

    >>> _make_key(Source(1, "p", "Über die Welt", [], "", "Jörg Müller", "", [], 0.0, year=2021))
    'muller2021uber'
    """

    def ascii_word(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
        return re.sub(r"[^a-z0-9]", "", plain)

    first_author = source.authors.split(",")[0].split()
    family = ascii_word(first_author[-1]) if first_author else ""
    words = [ascii_word(w) for w in source.title.split()]
    word = next((w for w in words if len(w) > 3), words[0] if words else "")
    return f"{family}{source.year or ''}{word}" or re.sub(r"[^A-Za-z0-9]", "", source.paper_id) or "paper"

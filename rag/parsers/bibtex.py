"""BibTeX (`.bib`, as exported by Zotero, Mendeley, JabRef or Google Scholar), read with `bibtexparser`.

LaTeX accents and braces become plain text (bibtexparser's LaTeX decoding, via pylatexenc); authors are
"First Last" joined with commas. Fields used: title, abstract, author, year (or date), journal / booktitle /
publisher, doi, eprint (arXiv), pmid, url, and the citation key.
"""

from __future__ import annotations

from pathlib import Path

import bibtexparser
from bibtexparser import middlewares

from rag.errors import InputError
from rag.parsers.references import Entry, Skipped, first_last, split, to_paper
from rag.records import Paper, year_of

VENUE_FIELDS = ("journal", "booktitle", "journaltitle", "publisher", "school", "institution")


def parse_bibtex(
    path: Path, lines: list[str], source: str, max_title: int, max_abstract: int
) -> tuple[list[Paper], list[Skipped]]:
    """Every entry of a .bib file; a block that does not parse refuses the file, naming its line."""
    library = bibtexparser.parse_string(
        "\n".join(lines),
        append_middleware=[middlewares.LatexDecodingMiddleware(), middlewares.SeparateCoAuthors()],
    )
    if library.failed_blocks:
        block = library.failed_blocks[0]
        line = block.start_line + 1
        reason = str(getattr(block, "error", "") or "").split("\n")[-1].strip() or "malformed BibTeX"
        raise InputError(f"entry does not parse ({reason})", path, line)
    if not library.entries:
        raise InputError("no BibTeX entries found", path)
    results = []
    for item in library.entries:
        fields = {
            key.lower(): str(value.value) if not isinstance(value.value, list) else value.value
            for key, value in item.fields_dict.items()
        }
        authors = fields.get("author", [])
        if isinstance(authors, str):
            authors = [authors]
        eprint = str(fields.get("eprint", "")) if "arxiv" in str(fields.get("archiveprefix", "arxiv")).lower() else ""
        entry = Entry(
            line=item.start_line + 1,
            title=str(fields.get("title", "")),
            abstract=str(fields.get("abstract", "")),
            authors=tuple(first_last(a) for a in authors),
            year=year_of(str(fields.get("year") or fields.get("date") or "")),
            venue=next((str(fields[f]) for f in VENUE_FIELDS if fields.get(f)), ""),
            doi=str(fields.get("doi", "")),
            arxiv=eprint or _arxiv_from_url(str(fields.get("url", ""))),
            pmid=str(fields.get("pmid", "")),
            url=str(fields.get("url", "")),
            key=item.key,
        )
        results.append(to_paper(entry, path, source, max_title, max_abstract))
    return split(results)


def _arxiv_from_url(url: str) -> str:
    return url.split("arxiv.org/abs/", 1)[1] if "arxiv.org/abs/" in url else ""

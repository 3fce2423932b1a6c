"""Plain dataclasses that cross module boundaries: papers, their listings, and chunks."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Listing:
    """One appearance of a paper in a source: which file, which line, and the listing date if known."""

    source: str
    line: int
    date: str | None = None  # "MM-DD" for the daily listing dumps (they carry no year)


@dataclass
class Paper:
    """One distinct paper. `listings` keeps every file and date it was seen in."""

    paper_id: str
    title: str
    abstract: str
    url: str | None = None
    authors: str | None = None
    listings: list[Listing] = field(default_factory=list)
    year: int | None = None
    venue: str | None = None  # journal, proceedings or archive
    doi: str | None = None
    key: str | None = None  # the citation key of a BibTeX or RIS entry
    prior_dates: tuple[str, ...] = ()  # dates and sources already stored from earlier ingests
    prior_sources: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        """Hash of what gets embedded; a change means the paper must be re-embedded."""
        return content_hash(self.title, self.abstract)

    @property
    def dates(self) -> list[str]:
        """Distinct listing dates, sorted."""
        return sorted({item.date for item in self.listings if item.date} | set(self.prior_dates))

    @property
    def sources(self) -> list[str]:
        """Distinct source files, sorted."""
        return sorted({item.source for item in self.listings} | set(self.prior_sources))


@dataclass(frozen=True)
class Chunk:
    """A piece of one abstract, sized to fit the embedding model.

    `start`/`end` are character offsets into the abstract; `sentences` are the (start, end) offsets of the
    sentences it holds, also into the abstract, so evidence can be highlighted exactly.
    """

    paper_id: str
    index: int
    text: str  # what gets embedded: the title prefix plus the abstract span
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]


def normalize_title(title: str) -> str:
    """Case- and punctuation-insensitive form of a title, used to recognise one paper across sources.

    >>> normalize_title("  Stable-SPAM: How to Train in 4-Bit ")
    'stable spam how to train in 4 bit'
    """
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.findall(r"\w+", text))


def collapse_ws(text: str) -> str:
    """Collapse runs of whitespace to one space and strip the ends."""
    return " ".join(text.split())


def content_hash(title: str, abstract: str) -> str:
    """sha256 of the normalised title and the whitespace-collapsed abstract."""
    payload = normalize_title(title) + "\n" + collapse_ws(abstract)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def paper_id_for(title: str, source_id: str | None = None) -> str:
    """Stable id: the source's own id when given, else a slug of the title plus a short hash.

    >>> paper_id_for("Deep Learning Face Attributes in the Wild")
    'deep-learning-face-attributes-in-the-wild-e7f199'
    """
    if source_id is not None and str(source_id).strip():
        clean = re.sub(r"[^A-Za-z0-9._:-]+", "-", str(source_id).strip()).strip("-")
        if clean:
            return clean[:120]
    norm = normalize_title(title)
    slug = "-".join(re.findall(r"[a-z0-9]+", norm))[:48].strip("-") or "paper"
    return f"{slug}-{hashlib.sha1(norm.encode()).hexdigest()[:6]}"


def reference_id(doi: str | None = None, arxiv: str | None = None, pmid: str | None = None) -> str | None:
    """The id a paper has in every collection: its DOI, else its arXiv id (version dropped), else its PMID.

    >>> reference_id(doi="https://doi.org/10.1038/NATURE14539", pmid="26017442")
    'doi:10.1038/nature14539'
    >>> reference_id(arxiv="arXiv:2402.12345v3"), reference_id(pmid=" 26017442 "), reference_id()
    ('arxiv:2402.12345', 'pmid:26017442', None)
    """
    if doi := clean_doi(doi):
        return f"doi:{doi}"
    if arxiv and (found := re.search(r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", arxiv.strip())):
        return f"arxiv:{found.group(1)}"
    if pmid and pmid.strip().isdigit():
        return f"pmid:{pmid.strip()}"
    return None


def clean_doi(doi: str | None) -> str | None:
    """A DOI in its plain lower-case form (DOIs are case-insensitive), without a resolver prefix.

    >>> clean_doi(" https://dx.doi.org/10.1145/3292500.3330701 "), clean_doi("no doi")
    ('10.1145/3292500.3330701', None)
    """
    found = re.search(r"10\.\d{4,9}/\S+", doi or "")
    return found.group(0).rstrip(".").lower() if found else None


def year_of(text: str | None) -> int | None:
    """The first plausible year in a date field ("2017/05/01/", "1998 Dec-1999 Jan", "2020").

    >>> year_of("1998 Dec-1999 Jan"), year_of("2017/05/01/"), year_of("in press")
    (1998, 2017, None)
    """
    found = re.search(r"(?<!\d)(1[6-9]\d\d|20\d\d)(?!\d)", text or "")
    return int(found.group(1)) if found else None

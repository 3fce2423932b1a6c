"""PubMed / MEDLINE XML (`PubmedArticleSet`, as saved from PubMed or fetched with E-utilities).

Parsed with `defusedxml`: a file that declares entities (billion laughs) or points at external ones is refused,
never expanded or fetched. Structured abstracts (BACKGROUND, METHODS, RESULTS, ...) are joined in order with
their labels; inline markup (<i>, <sup>) keeps its text.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from rag.errors import InputError
from rag.parsers.references import Entry, Skipped, split, to_paper
from rag.records import Paper, year_of


def parse_pubmed(
    path: Path, lines: list[str], source: str, max_title: int, max_abstract: int
) -> tuple[list[Paper], list[Skipped]]:
    """Every PubmedArticle of the file."""
    text = "\n".join(lines)
    try:
        root = fromstring(text.encode("utf-8"))
    except DefusedXmlException as exc:
        what = type(exc).__name__
        raise InputError(f"refused: the XML declares entities or external references ({what})", path) from None
    except ParseError as exc:
        line, column = exc.position
        raise InputError(f"not well-formed XML ({str(exc).split(':')[0]}, column {column})", path, line) from None
    if root.tag != "PubmedArticleSet":
        raise InputError(f"expected a <PubmedArticleSet> document, found <{root.tag}>", path)
    articles = root.findall("PubmedArticle")
    if not articles:
        raise InputError("no <PubmedArticle> in the file", path)
    results = [to_paper(_entry(a, n), path, source, max_title, max_abstract) for n, a in enumerate(articles)]
    return split(results)


def _entry(article: Element, index: int) -> Entry:
    citation = article.find("MedlineCitation")
    art = citation.find("Article") if citation is not None else None
    pmid = _text(citation.find("PMID")) if citation is not None else ""
    if art is None:
        return Entry(line=index + 1, where=f"PMID {pmid}" if pmid else f"article {index + 1}")
    ids = {i.get("IdType"): _text(i) for i in article.findall("PubmedData/ArticleIdList/ArticleId")}
    doi = ids.get("doi") or next((_text(e) for e in art.findall("ELocationID") if e.get("EIdType") == "doi"), "")
    pub = art.find("Journal/JournalIssue/PubDate")
    year = year_of(_text(pub.find("Year")) or _text(pub.find("MedlineDate"))) if pub is not None else None
    return Entry(
        line=index + 1,
        title=_text(art.find("ArticleTitle")).removesuffix("."),  # PubMed ends titles with a full stop
        abstract=" ".join(_section(a) for a in art.findall("Abstract/AbstractText")),
        authors=tuple(_author(a) for a in art.findall("AuthorList/Author")),
        year=year,
        venue=_text(art.find("Journal/Title")) or _text(art.find("Journal/ISOAbbreviation")),
        doi=doi,
        pmid=pmid,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else "",
        where=f"PMID {pmid}" if pmid else f"article {index + 1}",
    )


def _text(element: Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _section(element: Element) -> str:
    label = element.get("Label")
    body = _text(element)
    return f"{label.upper()}: {body}" if label and body else body


def _author(element: Element) -> str:
    collective = _text(element.find("CollectiveName"))
    if collective:
        return collective
    return " ".join(p for p in (_text(element.find("ForeName")), _text(element.find("LastName"))) if p)

"""Reference-manager and database exports (BibTeX, RIS, arXiv snapshot, PubMed XML) become papers with their
bibliographic fields; entries without an abstract are skipped and named; bad and hostile files are refused whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import bibtexparser
import pytest

from rag.cite import bibtex
from rag.config import IngestSettings, Settings
from rag.errors import InputError
from rag.ingest import ingest
from rag.metadata import where_years
from rag.parsers import load_sources, parse_file
from rag.retrieve import Retriever
from rag.store import ChunkStore

FIXTURES = Path(__file__).parent / "fixtures" / "collections"
LIMITS = IngestSettings()
GOOD = ["zotero.bib", "endnote.ris", "arxiv-snapshot.jsonl", "pubmed.xml"]


def by_id(name: str) -> dict:
    papers, _ = parse_file(FIXTURES / name, LIMITS)
    return {p.paper_id: p for p in papers}


def test_bibtex_fields_accents_and_missing_abstract() -> None:
    papers, skipped = parse_file(FIXTURES / "zotero.bib", LIMITS)
    assert len(papers) == 3
    [skip] = skipped
    assert skip.where.startswith("entry vaswani_attention_2017") and skip.why == "no abstract"
    lecun = {p.key: p for p in papers}["lecun_deep_2015"]
    assert lecun.paper_id == "doi:10.1038-nature14539"
    assert (lecun.year, lecun.venue, lecun.doi) == (2015, "Nature", "10.1038/nature14539")
    assert lecun.authors == "Yann LeCun, Yoshua Bengio, Geoffrey Hinton"
    accented = {p.key: p for p in papers}["muller_uber_2021"]
    assert accented.title == "Über Café-Statistik: Gödel numbering for naïve Bayes in Zürich"
    assert accented.authors == "Jörg Müller, María García, Søren Østergaard"
    assert "12.5% gain" in accented.abstract and "{" not in accented.abstract + accented.title
    assert accented.venue == "Proceedings of the Conférence on Learning"


def test_ris_fields_wrapped_abstract_and_missing_abstract() -> None:
    papers, skipped = parse_file(FIXTURES / "endnote.ris", LIMITS)
    resnet = {p.key: p for p in papers}["he2016"]
    assert resnet.year == 2016 and resnet.doi == "10.1109/cvpr.2016.90"
    assert resnet.authors.startswith("Kaiming He, Xiangyu Zhang")
    assert resnet.abstract.endswith("with 3.57% error.")
    assert [s.title for s in skipped] == ["A book chapter without an abstract"]


def test_arxiv_snapshot_lines_are_recognised_by_their_fields() -> None:
    papers, skipped = parse_file(FIXTURES / "arxiv-snapshot.jsonl", LIMITS)
    assert len(papers) == 10 and not skipped
    first = papers[0]
    assert first.paper_id == "arxiv:2401.10000" and first.url == "https://arxiv.org/abs/2401.10000"
    assert first.authors == "Ada Lovelace, Alan Turing, Grace Hopper" and first.year == 2024
    assert first.abstract.startswith("We study routing variant 0")  # whitespace of the snapshot collapsed
    old_style = papers[9]
    assert old_style.paper_id == "doi:10.1103-physrevd.60.104001"  # a DOI wins over the arXiv id
    assert (old_style.year, old_style.venue) == (2008, "Phys. Rev. D 60 (1999) 104001")


def test_pubmed_structured_abstract_in_order_and_fields() -> None:
    papers, skipped = parse_file(FIXTURES / "pubmed.xml", LIMITS)
    crispr, aspirin = papers
    assert crispr.abstract == (
        "BACKGROUND: T cell exhaustion limits immunotherapy. METHODS: We ran genome-wide CRISPR screens in mouse "
        "CD8+ T cells. RESULTS: Loss of 14 regulators restored cytokine production."
    )
    assert crispr.title == "CRISPR screens identify regulators of T cell exhaustion"
    assert crispr.authors == "Anna Smith, Min Lee, Immune Screens Consortium"
    assert (crispr.year, crispr.venue, crispr.doi) == (2019, "Cell reports", "10.1016/j.celrep.2019.01.001")
    assert aspirin.paper_id == "pmid:31000001" and aspirin.year == 1998  # MedlineDate "1998 Dec-1999 Jan"
    assert [s.where for s in skipped] == ["PMID 31000002"]


def test_same_paper_from_two_formats_is_stored_once() -> None:
    bib, ris, pubmed = by_id("zotero.bib"), by_id("endnote.ris"), by_id("pubmed.xml")
    assert "doi:10.1038-nature14539" in bib.keys() & ris.keys()  # DOI case and resolver prefix differ
    assert "doi:10.1016-j.celrep.2019.01.001" in bib.keys() & pubmed.keys()
    result = load_sources([FIXTURES / name for name in GOOD], LIMITS)
    assert len(result.papers) == 15 == 3 + 2 + 10 + 2 - 2
    assert {str(s).split(":")[0] for s in result.skipped} == {"zotero.bib", "endnote.ris", "pubmed.xml"}


@pytest.mark.parametrize("name", ["billion-laughs.xml", "external-entity.xml"])
def test_hostile_xml_is_refused_not_expanded(name: str) -> None:
    with pytest.raises(InputError, match="refused: the XML declares entities"):
        parse_file(FIXTURES / name, LIMITS)


@pytest.mark.parametrize(
    ("name", "text", "message", "line"),
    [
        ("bad.bib", "@article{ok,\n title={A},\n abstract={B}}\n\n@article{broken,\n title = {Unclosed\n", "parse", 5),
        ("bad.ris", "TY  - JOUR\nTI  - A\nAB  - B\nER  - \nTY  - JOUR\nTI  - C\n", "never ends", 5),
        ("bad2.ris", "Title: not RIS at all\n", "not a RIS tag line", 1),
        ("bad.xml", "<PubmedArticleSet><PubmedArticle>\n</PubmedArticleSet>\n", "not well-formed XML", 2),
        ("other.xml", "<html><body/></html>\n", "expected a <PubmedArticleSet>", None),
    ],
)
def test_malformed_files_are_refused_whole_naming_the_line(
    tmp_path: Path, name: str, text: str, message: str, line: int | None
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        parse_file(path, LIMITS)
    assert info.value.line == line and name in str(info.value)


def test_entry_without_title_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "untitled.bib"
    path.write_text("@article{k1,\n abstract = {Some text.}\n}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"entry k1 .*has no title"):
        parse_file(path, LIMITS)


def test_ingest_keeps_the_fields_filters_by_year_and_exports_bibtex(hash_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    for name in [*GOOD, "billion-laughs.xml"]:
        shutil.copy(FIXTURES / name, folder / name)
    summary = ingest([folder], hash_settings, progress=False)
    assert summary.added == 15 and len(summary.skipped) == 3
    assert any("billion-laughs.xml" in e for e in summary.errors)  # the hostile file is refused, the rest go in
    assert "skipped 3 entries without an abstract" in summary.text()
    again = ingest([folder], hash_settings, progress=False)
    assert again.unchanged == 15 and again.chunks_embedded == 0

    retriever = Retriever(hash_settings, store=ChunkStore(hash_settings, create=False))
    [lecun] = [s for s in retriever.search("deep learning representation layers", k=15) if s.key == "lecun_deep_2015"]
    assert (lecun.year, lecun.venue, lecun.doi) == (2015, "Nature", "10.1038/nature14539")
    recent = retriever.search("deep learning", k=15, where=where_years(2019, 2021))
    assert sorted(s.year for s in recent) == [2019, 2021]  # the CRISPR screen and the café paper, nothing else

    parsed = bibtexparser.parse_string(bibtex([lecun]))
    [entry] = parsed.entries
    assert entry.key == "lecun_deep_2015" and entry["doi"] == "10.1038/nature14539"
    assert entry["author"] == "Yann LeCun and Yoshua Bengio and Geoffrey Hinton" and entry["year"] == "2015"


def test_empty_year_range_is_refused() -> None:
    with pytest.raises(InputError, match="year range is empty"):
        where_years(2022, 2020)

"""Parsing the seed dumps, JSONL/CSV/BEIR files, and every kind of bad input."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rag.config import IngestSettings
from rag.errors import InputError
from rag.parsers import load_sources, parse_file
from rag.records import paper_id_for
from tests.conftest import DATA

LIMITS = IngestSettings()


def test_seed_corpus_counts() -> None:
    result = load_sources([DATA], LIMITS)
    assert result.errors == []
    assert result.entry_count == 308
    assert len(result.papers) == 251
    assert sorted(result.entries.values()) == sorted([67, 48, 79, 55, 59])
    repeats = Counter(len(p.listings) for p in result.papers.values())
    assert repeats == {1: 206, 2: 34, 3: 10, 4: 1}


def test_repeated_paper_keeps_every_listing() -> None:
    result = load_sources([DATA], LIMITS)
    paper = next(p for p in result.papers.values() if len(p.listings) == 4)
    assert len(paper.dates) == 4 and len(paper.sources) == 4
    assert all(len(d) == 5 and d[2] == "-" for d in paper.dates)  # MM-DD: the dumps carry no year


def test_listing_first_entry() -> None:
    papers, skipped = parse_file(DATA / "000_c2b9021fa6297fb6.txt", LIMITS)
    assert skipped == []
    first = papers[0]
    assert first.title == "Improving Multi-Interest Network with Stable Learning"
    assert first.abstract.startswith("Modeling users' dynamic preferences")
    assert first.listings[0].date == "07-31"
    assert first.paper_id == paper_id_for(first.title)


def test_jsonl_csv_and_beir(tmp_path: Path) -> None:
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(
        json.dumps({"title": "A Paper", "abstract": "It does X. It shows Y.", "id": "p1", "authors": ["A", "B"]})
        + "\n\n"
        + json.dumps({"_id": "9", "title": "", "text": "A BEIR abstract."})
        + "\n",
        encoding="utf-8",
    )
    csv_file = tmp_path / "b.csv"
    csv_file.write_text('Title,Abstract,URL\n"Comma, Title","Body, with comma.",https://x.org/1\n', encoding="utf-8")
    result = load_sources([jsonl, csv_file], LIMITS)
    assert result.errors == []
    assert set(result.papers) == {"p1", "9", paper_id_for("Comma, Title")}
    assert result.papers["p1"].authors == "A, B"
    assert result.papers[paper_id_for("Comma, Title")].url == "https://x.org/1"
    assert result.papers["9"].title == ""


def test_same_title_from_two_files_is_one_paper(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({"title": "Same  Title!", "abstract": "Body."}) + "\n")
    (tmp_path / "b.csv").write_text("title,abstract,date\nsame title,Body.,2025-01-02\n")
    result = load_sources([tmp_path], LIMITS)
    assert len(result.papers) == 1
    paper = next(iter(result.papers.values()))
    assert paper.sources == ["a.jsonl", "b.csv"] and paper.dates == ["2025-01-02"]


BAD_CASES = {
    "empty.txt": (b"", "file is empty", None),
    "blank.jsonl": (b"\n  \n", "file is empty", None),
    "binary.jsonl": (b"\x00\x01\x02PK\x03\x04" * 50, "binary", None),
    "latin1.txt": ("new\n\nJul 31\n\nT\u00edtulo\n\nAbstract.\n".encode("latin-1"), "not valid UTF-8", 5),
    "notjson.jsonl": (b'{"title": "a", "abstract": "b"}\n{not json}\n', "not valid JSON", 2),
    "noabstract.jsonl": (b'{"title": "a", "abstract": "b"}\n{"title": "c"}\n', "lacks 'abstract'", 2),
    "array.jsonl": (b"[1, 2]\n", "expected a JSON object", 1),
    "nocols.csv": (b"name,summary\nx,y\n", "lacks the column(s) title, abstract", 1),
    "emptyabs.csv": (b"title,abstract\nA,ok\nB,\n", "abstract is empty", 3),
    "nodate.txt": (b"Some Title\n\nSome abstract.\n", "no listing-date line", None),
    "odd.txt": (b"Jul 31\n\nTitle one\n\nAbstract one.\n\nDangling title\n", "title without an abstract", 7),
    "paper.pdf": (b"%PDF-1.4", "unsupported file type", None),
}


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_input_names_file_and_line(tmp_path: Path, name: str) -> None:
    content, message, line = BAD_CASES[name]
    path = tmp_path / name
    path.write_bytes(content)
    result = load_sources([path], LIMITS)
    assert result.papers == {}
    assert len(result.errors) == 1
    error = result.errors[0]
    assert message in str(error)
    assert error.path == str(path)
    assert error.line == line


def test_huge_line_is_rejected_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    line = '{"title": "t", "abstract": "' + "x" * 10_000_000 + '"}'
    path.write_text(line + "\n")
    with pytest.raises(InputError, match=rf"line is {len(line):,} characters long; the limit is 100,000") as info:
        parse_file(path, LIMITS)
    assert info.value.line == 1


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = load_sources([tmp_path / "nope", tmp_path / "empty"], LIMITS)
    messages = [str(e) for e in result.errors]
    assert any("nope: no such file or directory" in m for m in messages)
    assert any("folder holds no supported files" in m for m in messages)


def test_bad_file_does_not_stop_good_ones(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"title": "Good", "abstract": "Fine."}) + "\n")
    result = load_sources([tmp_path], LIMITS)
    assert list(result.entries) == ["good.jsonl"]
    assert len(result.papers) == 1 and len(result.errors) == 1

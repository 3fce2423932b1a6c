"""The `rag` command as a user runs it: exit codes, JSON summaries, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DATA, run_rag

HASH = ("--embed-model", "hash:256")


@pytest.mark.slow
def test_seed_ingest_with_real_model_then_nothing_embedded(tmp_path: Path) -> None:
    first = run_rag("ingest", "data/", "--json", home=tmp_path)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["added"], summary["papers"], summary["entries_read"]) == (251, 251, 308)
    second = json.loads(run_rag("ingest", "--json", home=tmp_path).stdout)  # default path is data/
    assert (second["added"], second["chunks_embedded"], second["unchanged"]) == (0, 0, 251)
    stats = json.loads(run_rag("stats", "--json", home=tmp_path).stdout)
    assert stats["papers"] == 251 and stats["embedding_model"] == "bundled:all-MiniLM-L6-v2"
    assert stats["chunks"] == summary["chunks"] and stats["last_ingest"]


def test_bad_file_exits_nonzero_names_it_and_keeps_good_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,text\na,b\n")
    result = run_rag("ingest", str(bad), str(DATA / "001_f36664b61a37cc0a.txt"), "--json", *HASH, home=tmp_path / "h")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["added"] == 48
    assert summary["errors"] == [f"{bad}, line 1: CSV lacks the column(s) title, abstract; its header has: name, text"]


def test_missing_path_and_human_summary(tmp_path: Path) -> None:
    result = run_rag("ingest", str(tmp_path / "missing.jsonl"), *HASH, home=tmp_path / "h")
    assert result.returncode == 1
    assert "missing.jsonl: no such file or directory" in result.stdout
    assert "Traceback" not in result.stderr


def test_stats_before_any_ingest(tmp_path: Path) -> None:
    result = run_rag("stats", *HASH, home=tmp_path)
    assert result.returncode == 2
    assert "run `rag ingest` first" in result.stderr


def test_module_and_help() -> None:
    result = run_rag("--help", home=Path("/nonexistent"))
    assert result.returncode == 0 and "ingest" in result.stdout

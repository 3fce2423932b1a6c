"""SIGKILL a real `rag ingest` at several points; the next run must end in the uninterrupted index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import IngestSettings, Settings
from rag.parsers import load_sources
from rag.store import ChunkStore
from rag.versions import complete_papers
from tests.conftest import DATA, run_rag, wait_until

SOURCES = [str(DATA / "001_f36664b61a37cc0a.txt"), str(DATA / "003_4125c5718f88118e.txt")]


def _snapshot(home: Path) -> dict:
    store = ChunkStore(Settings(home=home), create=False)
    stored = store.scan()
    got = store.collection.get(include=["documents", "metadatas"])
    return {
        "ids": sorted(c.chunk_id for c in stored),
        "papers": len(complete_papers(stored)),
        "docs": sorted(zip(got["ids"], got["documents"])),
        "paper_ids": sorted({m["paper_id"] for m in got["metadatas"]}),
    }


def _kill_after(home: Path, batches: int) -> int:
    """Start an ingest, SIGKILL it after `batches` written batches (0: while it loads); return its exit code."""
    env = {**os.environ, "RAG_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "ingest", *SOURCES, "--batch-chunks", "16", "--verbose"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    if batches == 0:  # killed while it loads: once it has opened the index, before any batch is written
        wait_until(lambda: (home / "chroma").exists(), timeout=120, what="the ingest to open its index")
    else:
        seen = 0
        for line in proc.stderr:
            seen += line.startswith("wrote ")
            if seen >= batches:
                break
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=60)


@pytest.mark.slow
def test_sigkill_at_any_point_then_rerun_matches_uninterrupted(tmp_path: Path) -> None:
    reference_home = tmp_path / "reference"
    done = run_rag("ingest", *SOURCES, "--json", home=reference_home)
    assert done.returncode == 0, done.stderr
    reference = _snapshot(reference_home)
    expected = load_sources([Path(s) for s in SOURCES], IngestSettings()).papers
    assert reference["papers"] == len(expected) and reference["paper_ids"] == sorted(expected)

    home = tmp_path / "killed"
    for batches in (0, 1, 3, 5):
        code = _kill_after(home, batches)
        assert code == -signal.SIGKILL, f"ingest ended on its own before the kill point {batches}"
    # A run that is killed mid-way, then one that completes.
    rerun = run_rag("ingest", *SOURCES, "--json", home=home)
    assert rerun.returncode == 0, rerun.stderr
    assert _snapshot(home) == reference
    again = run_rag("ingest", *SOURCES, "--json", home=home)
    assert '"chunks_embedded": 0' in again.stdout

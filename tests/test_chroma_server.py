"""Server mode: ingest into a real `chroma run` server on a free loopback port."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rag.config import IngestSettings, Settings, StoreSettings
from rag.ingest import ingest
from rag.store import ChunkStore
from tests.conftest import DATA, free_port, run_rag, server


@pytest.fixture
def chroma_server(tmp_path: Path):
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    command = [str(chroma), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)]
    with server(command, f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=60):
        yield port


@pytest.mark.slow
def test_ingest_into_chroma_server(chroma_server: int, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home",
        embed_model="hash:256",
        store=StoreSettings(chroma_host="127.0.0.1", chroma_port=chroma_server),
    )
    first = ingest([DATA / "001_f36664b61a37cc0a.txt"], settings, progress=False)
    assert first.added == 48 and first.papers == 48
    assert not settings.chroma_dir.exists()  # nothing written to the embedded folder
    again = ingest([DATA / "001_f36664b61a37cc0a.txt"], settings, progress=False)
    assert again.chunks_embedded == 0 and again.unchanged == 48
    stats = ChunkStore(settings, create=False).stats()
    assert stats["papers"] == 48 and stats["store"].startswith("chroma server")
    cli = run_rag(
        "stats",
        "--json",
        "--embed-model",
        "hash:256",
        "--chroma-host",
        "127.0.0.1",
        "--chroma-port",
        str(chroma_server),
        home=tmp_path / "other",
    )
    assert cli.returncode == 0, cli.stderr
    assert '"papers": 48' in cli.stdout


@pytest.mark.slow
def test_two_worker_processes_build_the_index_one_worker_builds(chroma_server: int, tmp_path: Path) -> None:
    from rag.workers import ingest_in_workers
    from tests.test_shards import snapshot

    def on_server(prefix: str) -> Settings:
        store = StoreSettings(chroma_host="127.0.0.1", chroma_port=chroma_server, collection_prefix=prefix)
        small = IngestSettings(batch_chunks=32)  # several transactions per worker
        return Settings(home=tmp_path / prefix, embed_model="hash:256", store=store, ingest=small)

    sources = [DATA / "001_f36664b61a37cc0a.txt", DATA / "002_379ecbee91e7eb3e.txt"]
    one = ingest(sources, on_server("one"), progress=False)
    two = ingest_in_workers(sources, on_server("two"), workers=2)
    assert two.added == one.added > 48 and two.chunks_embedded == one.chunks_embedded
    assert (two.papers, two.chunks) == (one.papers, one.chunks)
    assert snapshot(on_server("two")) == snapshot(on_server("one"))
    again = ingest_in_workers(sources, on_server("two"), workers=2)
    assert again.unchanged == one.added and again.chunks_embedded == 0


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    result = run_rag("stats", "--chroma-host", "127.0.0.1", "--chroma-port", str(free_port()), home=tmp_path)
    assert result.returncode == 2
    assert "cannot reach the Chroma server at 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr

"""Shared fixtures: settings in a temporary index home, the real embedder (loaded once), helpers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Settings

DATA = PROJECT_ROOT / "data"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def hash_settings(tmp_path: Path) -> Settings:
    """Settings with a fresh embedded index and the deterministic test embedder."""
    return Settings(home=tmp_path / "home", embed_model="hash:256")


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled all-MiniLM-L6-v2, loaded once per test session."""
    from rag.embed import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(Settings().embed_model)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_rag(*args: str, home: Path, env: dict[str, str] | None = None, timeout: int = 600):
    """Run `python -m rag ARGS` in a subprocess with its own index home."""
    full_env = {**os.environ, "RAG_HOME": str(home), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rag", *args],
        cwd=PROJECT_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def seed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index home with data/ ingested by the real embedding model (built once per test session)."""
    home = tmp_path_factory.mktemp("seed-home")
    result = run_rag("ingest", "data/", "--json", "--no-progress", home=home)
    assert result.returncode == 0, result.stderr
    return home


@contextmanager
def server(command: list[str], ready_url: str, timeout: float = 120) -> Iterator[subprocess.Popen]:
    """Start a server process, wait until `ready_url` answers, and stop it afterwards."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(ready_url, timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"{command[0]} did not start (no answer from {ready_url})")
                time.sleep(0.3)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

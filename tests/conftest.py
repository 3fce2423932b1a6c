"""Shared fixtures: settings in a temporary index home, the real embedder (loaded once), helpers."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
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


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write `records` as a JSON Lines file (a corpus to ingest) and return its path."""
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def wait_until(condition, timeout: float = 30.0, what: str = "the condition"):  # type: ignore[no-untyped-def]
    """Poll `condition()` until it returns something truthy (returned) or `timeout` seconds pass (test fails)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


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
def server(
    command: list[str], ready_url: str, timeout: float = 180, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """Start a server process, wait until `ready_url` answers, and stop it afterwards."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed after the process stops
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT)
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(ready_url, timeout=1)
                break
            except urllib.error.HTTPError:  # it answers, if only with an error status
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-3000:]
                    pytest.fail(f"{command[0]} did not start (no answer from {ready_url}):\n{tail}")
                time.sleep(0.3)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def rag_server(home: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`rag serve` on a free loopback port over `home`; yields its base URL."""
    port = free_port()
    full_env = {**os.environ, "RAG_HOME": str(home), **(env or {})}
    command = [sys.executable, "-m", "rag", "serve", "--port", str(port), *args]
    with server(command, f"http://127.0.0.1:{port}/config", env=full_env):
        yield f"http://127.0.0.1:{port}"


def copy_home(source: Path, target: Path) -> Path:
    """A private copy of an index home, for tests that add papers."""
    shutil.copytree(source, target)
    return target


OUTPUT = PROJECT_ROOT / "test-output"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def page(request: pytest.FixtureRequest):
    """A Chromium page (Debian's chromium driven by playwright); `make test` installs the browser.

    A missing browser is a failure, not a skip: CI must run the browser tests.
    """
    from playwright.sync_api import expect, sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make install-test` (it installs Debian's chromium)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(180_000)
        expect.set_options(timeout=180_000)  # answers and uploads take a while on 2 CPU cores
        yield page
        browser.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-output/ui/."""
    path = OUTPUT / "ui" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path

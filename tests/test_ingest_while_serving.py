"""`rag ingest` while `rag serve` runs on the same index: real processes, the deterministic embedder, tiny LLM."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import rag_server, run_rag, write_jsonl

pytestmark = pytest.mark.slow
HASH = {"RAG_EMBED_MODEL": "hash:256"}
FIRST = [
    {"id": "spam", "title": "Stable-SPAM: stable 4-bit training", "abstract": "Stable-SPAM trains LLMs in 4-bit."},
    {"id": "gnn", "title": "Graph networks for molecules", "abstract": "Graph networks predict molecular properties."},
]
NEW = {
    "id": "glacier",
    "title": "GlacierNet: melt from the air",
    "abstract": "GlacierNet measures glacier melt with drones over Alpine glaciers. It maps ice loss every week.",
}
QUESTION = "What does GlacierNet measure with drones over Alpine glaciers?"


def _ask(url: str, question: str) -> dict:
    import urllib.request

    body = json.dumps({"model": "paper-rag-tiny", "messages": [{"role": "user", "content": question}]}).encode()
    request = urllib.request.Request(f"{url}/v1/chat/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as reply:
        return json.loads(reply.read())["rag"]


def _papers(home: Path) -> int:
    result = run_rag("stats", "--json", home=home, env=HASH)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["papers"]


def test_a_running_server_answers_from_papers_ingested_after_it_started(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_rag("ingest", str(write_jsonl(tmp_path / "first.jsonl", FIRST)), home=home, env=HASH).returncode == 0
    with rag_server(home, "--llm", "tiny", env=HASH) as url:
        before = _ask(url, QUESTION)
        assert before["mode"] == "abstained"  # nothing indexed is about GlacierNet yet
        assert all(source["paper_id"] != "glacier" for source in before["sources"])
        added = run_rag("ingest", str(write_jsonl(tmp_path / "new.jsonl", [NEW])), home=home, env=HASH)
        assert added.returncode == 0, added.stderr
        after = _ask(url, QUESTION)  # the same server process, no restart
        assert after["mode"] in ("generated", "extractive"), after
        assert after["sources"][0]["paper_id"] == "glacier" and after["sources"][0]["cited"]


def test_a_second_writer_is_refused_and_a_crashed_one_leaves_no_lock(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_rag("ingest", str(write_jsonl(tmp_path / "first.jsonl", FIRST)), home=home, env=HASH).returncode == 0
    holder = subprocess.Popen(  # a real process holding the write lock, as a long ingest does
        [sys.executable, "-c", "import sys, pathlib\nfrom rag.lock import ingest_lock\n"
         "with ingest_lock(pathlib.Path(sys.argv[1])):\n    print('locked', flush=True)\n    sys.stdin.read()",
         str(home)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    new = write_jsonl(tmp_path / "new.jsonl", [NEW])
    refused = run_rag("ingest", str(new), home=home, env=HASH)
    assert refused.returncode == 2
    assert f"another ingest (pid {holder.pid}" in refused.stderr and "nothing was changed" in refused.stderr
    assert _papers(home) == 2  # the index is as it was
    holder.kill()  # a writer that dies without cleaning up
    holder.wait(timeout=30)
    done = run_rag("ingest", str(new), home=home, env=HASH)
    assert done.returncode == 0, done.stderr
    assert _papers(home) == 3

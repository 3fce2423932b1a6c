"""End to end with the real embedding model, real Chroma and real LLMs (tiny; one test with the default)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import LLMSettings, Settings
from rag.models import model_path
from rag.pipeline import Pipeline
from tests.conftest import PROJECT_ROOT, free_port, run_rag, server

pytestmark = pytest.mark.slow
SPAM_QUESTION = "Which optimizer makes 4-bit LLM training more stable than Adam?"


def _ask(home: Path, *args: str) -> dict:
    result = run_rag("ask", "--json", *args, home=home)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_tiny_model_end_to_end(seed_home: Path) -> None:
    data = _ask(seed_home, "--llm", "tiny", SPAM_QUESTION)
    assert set(data) >= {"answer", "abstained", "sentences", "sources"}
    assert data["sources"][0]["title"].startswith("Stable-SPAM")
    assert data["sources"][0]["evidence"], "evidence sentences are attached to each source"
    for sentence in data["sentences"]:
        assert set(sentence) >= {"text", "citations", "supported"}
        assert all(1 <= n <= len(data["sources"]) for n in sentence["citations"])
    # The evidence is strong, so the pipeline answers whatever the tiny model writes: its checked answer, or the
    # best-matching evidence quoted (rag.decide). Either way at least one sentence is verified against a source.
    assert data["mode"] in ("generated", "extractive") and data["abstained"] is False
    assert any(s["supported"] for s in data["sentences"])


@pytest.mark.parametrize(
    "question",
    [
        "Who won the 2018 FIFA World Cup?",
        "What is the maximum daily dose of ibuprofen?",
        "How do I configure PostgreSQL?",
    ],
)
def test_out_of_scope_questions_abstain(seed_home: Path, question: str) -> None:
    data = _ask(seed_home, "--llm", "tiny", question)
    assert data["abstained"] is True and data["mode"] == "abstained"
    assert data["answer"] == "The indexed abstracts don't answer this question."


def test_default_model_cites_stable_spam(seed_home: Path) -> None:
    data = _ask(seed_home, "--llm", "default", SPAM_QUESTION)
    assert data["abstained"] is False, data
    cited = {n for s in data["sentences"] if s["supported"] for n in s["citations"]}
    titles = [s["title"] for s in data["sources"] if s["n"] in cited]
    assert any(t.startswith("Stable-SPAM") for t in titles), data


def test_follow_up_in_terminal_chat(seed_home: Path) -> None:
    script = f"{SPAM_QUESTION}\nWhat does it achieve compared to Adam?\n/quit\n"
    result = subprocess.run(
        [sys.executable, "-m", "rag", "chat", "--llm", "tiny"],
        input=script,
        cwd=PROJECT_ROOT,
        env={**os.environ, "RAG_HOME": str(seed_home)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Stable-SPAM") >= 2  # the follow-up found the same paper


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "the question is empty"),
        ("   ", "the question is empty"),
        ("x" * 2500, "the question is 2,500 characters long"),
    ],
)
def test_bad_questions_on_the_command_line(seed_home: Path, question: str, message: str) -> None:
    result = run_rag("ask", question, home=seed_home)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def openai_server():
    """llama-cpp-python's own OpenAI-compatible server with the tiny model, on a free loopback port."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path("tiny")),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--model_alias",
        "tiny",
    ]
    with server(command, f"http://127.0.0.1:{port}/v1/models"):
        yield f"http://127.0.0.1:{port}/v1"


def test_openai_compatible_backend_streams(seed_home: Path, openai_server: str) -> None:
    settings = Settings(home=seed_home, llm=LLMSettings(backend="openai", base_url=openai_server, model="tiny"))
    events = list(Pipeline(settings).stream(SPAM_QUESTION))
    tokens = [e for e in events if e.kind == "token"]
    answer = events[-1].answer
    assert len(tokens) > 1, "the answer arrives in pieces"
    assert answer.model == "openai:tiny"
    assert answer.raw_answer == "".join(t.text for t in tokens).strip()
    assert answer.sources[0].title.startswith("Stable-SPAM")
    cli = _ask(seed_home, "--llm", "openai", "--llm-base-url", openai_server, "--llm-model", "tiny", SPAM_QUESTION)
    assert cli["model"] == "openai:tiny"


def test_eval_with_a_judge_endpoint_fills_the_judge_columns(seed_home: Path, openai_server: str, tmp_path) -> None:
    """llama-index's evaluators run against a real OpenAI-compatible judge (the tiny model: poor, but real)."""
    out = tmp_path / "judged"
    args = ["eval", "--llm", "tiny", "--limit", "2", "--out", str(out), "--no-progress"]
    result = run_rag(*args, "--judge-base-url", openai_server, "--judge-model", "tiny", home=seed_home)
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["meta"]["judge"] == f"tiny at {openai_server}"
    judged = [q["judge"] for q in report["questions"] if q["judge"]]
    assert judged, "no answered question was judged"
    for scores in judged:
        assert isinstance(scores["judge_faithfulness"], float) and isinstance(scores["judge_relevancy"], float)
        correctness = scores["judge_correctness"]  # needs a parseable "score + reasoning" reply
        assert isinstance(correctness, float) or correctness.startswith("error:")
    assert isinstance(report["summary"]["judge_faithfulness"], float)

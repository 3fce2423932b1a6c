"""The BEIR retrieval benchmark command on a tiny BEIR-format folder (metrics by ir-measures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.beir import beir_settings, evaluate, load_queries
from rag.config import Settings
from tests.conftest import run_rag

DOCS = {
    "d1": ("Zeta zeros", "The Riemann zeta function has nontrivial zeros on the critical line."),
    "d2": ("Protein folding", "Deep networks predict protein structures from sequences."),
    "d3": ("Graph coloring", "We color planar graphs with four colors in linear time."),
}
QUERIES = {"q1": "where are the zeros of the zeta function", "q2": "predicting protein structure", "q9": "unused"}
QRELS = [("q1", "d1"), ("q2", "d2")]


@pytest.fixture
def beir_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tinybeir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x, "metadata": {}}) + "\n" for i, (t, x) in DOCS.items())
    )
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in QUERIES.items()))
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in QRELS)
    )
    return folder


def test_load_queries_keeps_only_judged_ones(beir_folder: Path) -> None:
    queries, qrels = load_queries(beir_folder)
    assert set(queries) == {"q1", "q2"} and qrels["q1"] == {"d1": 1}


def test_evaluate_scores_each_mode(beir_folder: Path, tmp_path: Path) -> None:
    settings = beir_settings(beir_folder, Settings(home=tmp_path / "home", embed_model="hash:256"))
    assert settings.home == tmp_path / "home" / "beir" / "tinybeir"
    results = {r.mode: r for r in evaluate(beir_folder, settings)}
    assert set(results) == {"dense", "bm25", "hybrid"}
    # with the relevant document ranked first for both queries, nDCG@10 and Recall@100 are exactly 1
    assert results["bm25"].ndcg10 == pytest.approx(1.0) and results["bm25"].recall100 == pytest.approx(1.0)
    assert all(r.queries == 2 for r in results.values())


def test_cli_rejects_a_folder_without_corpus(tmp_path: Path) -> None:
    result = run_rag("eval", "beir", str(tmp_path), home=tmp_path)
    assert result.returncode == 2 and "not a BEIR dataset folder" in result.stderr

"""The ONNX Runtime embedding backends: the same vectors (fp32) or the same rankings (int8) as torch, built once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag import onnx_embed
from rag.config import PROJECT_ROOT, Settings
from rag.embed import load_embedder
from rag.errors import ConfigError
from rag.parsers import load_sources
from rag.retrieve import Retriever
from tests.conftest import run_rag

DEV = PROJECT_ROOT / "eval" / "datasets" / "dev.jsonl"


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A model cache of this module's own, so the exports are built here, from scratch."""
    cache = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_MODEL_CACHE", str(cache))
        yield cache


def test_int8_vectors_get_their_own_collection_and_fp32_shares_torchs():
    torch, fp32, int8 = (Settings(embed_backend=b).collection_name() for b in ("torch", "onnx", "onnx-int8"))
    assert fp32 == torch
    assert int8 != torch


def test_an_unknown_backend_is_refused_by_name():
    with pytest.raises(ConfigError, match="tensorrt"):
        load_embedder(Settings(embed_backend="tensorrt"))


def test_the_onnx_backends_need_a_local_model_folder():
    with pytest.raises(ConfigError, match="local sentence-transformers folder"):
        load_embedder(Settings(embed_model="sentence-transformers/not-here", embed_backend="onnx"))


@pytest.mark.slow
def test_fp32_onnx_gives_torchs_vectors(model_cache: Path, real_embedder):
    papers = list(load_sources([PROJECT_ROOT / "data"], Settings().ingest).papers.values())[:20]
    texts = [p.abstract for p in papers] + [p.title for p in papers] + ["a"]
    onnx = np.asarray(load_embedder(Settings(embed_backend="onnx")).embed(texts))
    torch = np.asarray(real_embedder.embed(texts))
    assert onnx.shape == torch.shape
    assert (onnx * torch).sum(axis=1).min() > 0.9999


@pytest.mark.slow
def test_the_export_is_built_once_then_reused(model_cache: Path, monkeypatch: pytest.MonkeyPatch):
    first = load_embedder(Settings(embed_backend="onnx-int8"))
    built = sorted((model_cache / "onnx").iterdir())

    def refuse(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_embed, "export", refuse)
    again = load_embedder(Settings(embed_backend="onnx-int8"))
    assert sorted((model_cache / "onnx").iterdir()) == built
    assert again.embed(["graph neural networks"]) == first.embed(["graph neural networks"])


@pytest.mark.slow
def test_an_int8_index_ranks_the_same_papers_first_as_torch(model_cache: Path, seed_home: Path, tmp_path: Path):
    home = tmp_path / "int8-home"
    result = run_rag("ingest", "data/", "--embed-backend", "onnx-int8", "--no-progress", home=home)
    assert result.returncode == 0, result.stderr
    torch = Retriever(Settings(home=seed_home))
    int8 = Retriever(Settings(home=home, embed_backend="onnx-int8"))
    assert int8.store.name != torch.store.name
    questions = [q["question"] for q in map(json.loads, DEV.read_text().splitlines()) if q["kind"] == "single"]
    same_first, overlap = 0, []
    for question in questions:
        a = [h.paper_id for h in torch.search(question, k=5, mode="dense")]
        b = [h.paper_id for h in int8.search(question, k=5, mode="dense")]
        same_first += a[0] == b[0]
        overlap.append(len(set(a) & set(b)) / 5)
    assert same_first >= 0.9 * len(questions)
    assert np.mean(overlap) >= 0.8


def test_settings_carry_the_backend_from_the_environment():
    settings = Settings.from_env({"RAG_EMBED_BACKEND": "onnx-int8"})
    assert settings.embed_backend == "onnx-int8"
    assert replace(settings, embed_backend="torch").collection_name() == Settings().collection_name()

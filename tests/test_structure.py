"""One owner per outside system, and a library that does not import its front ends (read from the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT

PACKAGES = ("rag", "ui", "eval", "benchmarks")


def _modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (PROJECT_ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", _modules("rag"), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_the_library_imports_no_front_end(path: Path) -> None:
    front_ends = {name for name in _imports(path) if name.split(".")[0] in ("ui", "eval")}
    assert not front_ends, f"{path.name} imports {front_ends}"


def test_only_the_store_touches_chroma() -> None:
    owners = set()
    for path in _modules(*PACKAGES):
        source = path.read_text()
        if any(name.split(".")[0] == "chromadb" for name in _imports(path)) or ".collection." in source:
            owners.add(str(path.relative_to(PROJECT_ROOT)))
    assert owners == {"rag/store.py"}


def _importers(package: str) -> set[str]:
    """The product's modules that import `package`."""
    return {
        str(p.relative_to(PROJECT_ROOT))
        for p in _modules("rag", "ui", "eval")
        if any(name.split(".")[0] == package for name in _imports(p))
    }


def test_only_the_llm_module_touches_llama_cpp() -> None:
    assert _importers("llama_cpp") == {"rag/llm.py", "rag/llama_state.py"}
    users = {str(p.relative_to(PROJECT_ROOT)) for p in _modules(*PACKAGES) if "llama_state" in p.read_text()}
    assert users == {"rag/llm.py", "rag/llama_state.py"}  # the prefix-state helper is llm.py's alone


def test_only_the_embedding_backends_touch_onnx_runtime() -> None:
    assert _importers("onnxruntime") | _importers("onnx") == {"rag/onnx_embed.py"}


def test_llama_index_is_the_face_of_one_module_and_the_judge() -> None:
    assert _importers("llama_index") == {"rag/llamaindex.py", "eval/judge.py"}

"""Assembling split GGUF files: checked before use, never left half-written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.models import BUNDLED, assemble, model_path


def _parts(tmp_path: Path) -> list[Path]:
    parts = []
    for i, content in enumerate([b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]):
        part = tmp_path / f"part{i:02d}.bin"
        part.write_bytes(content)
        parts.append(part)
    return parts


def test_assemble_checks_size_and_hash(tmp_path: Path) -> None:
    parts = _parts(tmp_path)
    whole = b"".join(p.read_bytes() for p in parts)
    target = tmp_path / "cache" / "m.gguf"
    out = assemble(parts, target, len(whole), hashlib.sha256(whole).hexdigest(), "test model")
    assert out.read_bytes() == whole
    parts[0].write_bytes(b"changed")  # a second call trusts the checked file and does not re-read the parts
    assert assemble(parts, target, len(whole), hashlib.sha256(whole).hexdigest(), "test model") == target


def test_mismatch_leaves_nothing_behind(tmp_path: Path) -> None:
    parts = _parts(tmp_path)
    target = tmp_path / "cache" / "m.gguf"
    with pytest.raises(ConfigError, match="assembled test model does not match"):
        assemble(parts, target, 1782, "0" * 64, "test model")
    assert list(target.parent.iterdir()) == []


def test_unknown_model_name() -> None:
    with pytest.raises(ConfigError, match="unknown model 'huge'"):
        model_path("huge")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_models_are_installed_and_verified(name: str) -> None:
    path = model_path(name)
    assert path.read_bytes()[:4] == b"GGUF"
    if BUNDLED[name].size:
        assert path.stat().st_size == BUNDLED[name].size

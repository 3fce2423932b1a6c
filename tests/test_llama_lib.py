"""The llama.cpp build is chosen from the CPU's flags: AVX-512 only where every flag it needs is present."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.llama_lib import choose_library

AVX2_CPU = "processor : 0\nflags : fpu sse4_2 avx avx2 fma f16c\n"
AVX512_CPU = AVX2_CPU.replace("f16c", "f16c avx512f avx512cd avx512vl avx512dq avx512bw avx512_vnni")


@pytest.fixture
def avx512_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "llama-cpp-avx512"
    folder.mkdir()
    (folder / "libllama.so").write_bytes(b"")
    (folder / "REQUIRES").write_text("avx512f\navx512cd\navx512vl\navx512dq\navx512bw\navx512_vnni\n")
    return folder


def test_the_portable_build_is_chosen_when_the_cpu_lacks_avx512f(avx512_dir: Path) -> None:
    assert choose_library(AVX2_CPU, avx512_dir) is None


def test_the_avx512_build_is_chosen_only_with_every_flag_it_was_built_for(avx512_dir: Path) -> None:
    assert choose_library(AVX512_CPU, avx512_dir) == avx512_dir
    assert choose_library(AVX512_CPU.replace(" avx512_vnni", ""), avx512_dir) is None


def test_portable_can_be_forced_and_a_missing_build_falls_back(avx512_dir: Path, tmp_path: Path) -> None:
    assert choose_library(AVX512_CPU, avx512_dir, forced="portable") is None
    assert choose_library(AVX512_CPU, tmp_path / "nowhere") is None

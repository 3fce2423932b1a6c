"""Which build of llama.cpp's native libraries this process loads, chosen before `llama_cpp` is imported.

`scripts/build_llama_cpp.sh` installs a portable build (AVX2) as the package and an AVX-512 build of the same
libraries in `<venv>/llama-cpp-avx512/`, with a `REQUIRES` file listing the CPU flags it was compiled for. The
AVX-512 build processes prompts faster but dies with an illegal instruction on a CPU without those flags, so it
is chosen only when every flag it needs is in /proc/cpuinfo. AMX is off in both. `RAG_LLAMA_LIB=portable`
forces the portable build; a `LLAMA_CPP_LIB_PATH` set by the user is left alone.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

AVX512_DIR = Path(sys.prefix) / "llama-cpp-avx512"


def cpu_flags(cpuinfo: str) -> set[str]:
    """The feature flags of the first CPU in a /proc/cpuinfo text.

    >>> sorted(cpu_flags("processor : 0\\nflags : fpu avx2 avx512f\\n"))
    ['avx2', 'avx512f', 'fpu']
    """
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return set()


def choose_library(cpuinfo: str, avx512_dir: Path = AVX512_DIR, forced: str | None = None) -> Path | None:
    """The folder of the AVX-512 libraries when this CPU can run them, else None (the portable build)."""
    requires = avx512_dir / "REQUIRES"
    if forced == "portable" or not requires.is_file() or not (avx512_dir / "libllama.so").is_file():
        return None
    needed = set(requires.read_text().split())
    return avx512_dir if needed and needed <= cpu_flags(cpuinfo) else None


def select() -> str:
    """Set LLAMA_CPP_LIB_PATH for this process if the AVX-512 build fits; return which build is used
    ('avx512', 'portable', or the user's own LLAMA_CPP_LIB_PATH). Decided once, before llama_cpp is imported."""
    global _chosen
    if _chosen is None:
        _chosen = _decide()
    return _chosen


_chosen: str | None = None


def _decide() -> str:
    if os.environ.get("LLAMA_CPP_LIB_PATH"):
        return f"LLAMA_CPP_LIB_PATH={os.environ['LLAMA_CPP_LIB_PATH']}"
    if "llama_cpp" in sys.modules:  # imported before us: the portable library of the package is loaded
        return "portable"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "portable"
    chosen = choose_library(cpuinfo, forced=os.environ.get("RAG_LLAMA_LIB"))
    if chosen is None:
        return "portable"
    os.environ["LLAMA_CPP_LIB_PATH"] = str(chosen)
    return "avx512"

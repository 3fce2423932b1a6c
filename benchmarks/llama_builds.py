"""Prompt-processing speed of the two llama.cpp builds (portable AVX2 and AVX-512) on this CPU.

    python benchmarks/llama_builds.py [--models default fast] [--tokens 500] [--repeat 3]

Each build runs in its own subprocess (the library is chosen before `llama_cpp` is imported): the same tokens of
seed-corpus text are evaluated from an empty context `--repeat` times. Prints the median tokens per second of each
and the ratio AVX-512 / portable. On a CPU without AVX-512 only the portable build runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(model: str, tokens: int, repeat: int) -> dict[str, object]:
    """Runs in the child: which build, and the median seconds to evaluate `tokens` prompt tokens."""
    from rag import llama_lib
    from rag.llm import cpu_threads

    build = llama_lib.select()
    from llama_cpp import Llama

    from rag.models import model_path

    threads = cpu_threads()
    llm = Llama(str(model_path(model)), n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
    text = sorted((ROOT / "data").glob("*.txt"))[0].read_text()[:20_000]
    ids = llm.tokenize(text.encode())[:tokens]
    times = []
    for _ in range(repeat):
        llm.reset()
        started = time.perf_counter()
        llm.eval(ids)
        times.append(time.perf_counter() - started)
    return {"build": build, "tokens": len(ids), "seconds": statistics.median(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["default", "fast"])
    parser.add_argument("--tokens", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.tokens, args.repeat)))
        return
    print(f"{'model':<9}{'build':<10}{'tokens':>8}{'seconds':>10}{'tokens/s':>10}")
    for model in args.models:
        speeds = {}
        for build in ("portable", "auto"):
            env = dict(os.environ, RAG_LLAMA_LIB=build)
            env.pop("LLAMA_CPP_LIB_PATH", None)
            cmd = [
                sys.executable,
                __file__,
                "--child",
                model,
                "--tokens",
                str(args.tokens),
                "--repeat",
                str(args.repeat),
            ]
            out = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)
            speeds[out["build"]] = out["tokens"] / out["seconds"]
            print(f"{model:<9}{out['build']:<10}{out['tokens']:>8}{out['seconds']:>10.2f}{speeds[out['build']]:>10.0f}")
        if "avx512" in speeds:
            print(
                f"{model:<9}{'ratio':<10}{'':>18}{speeds['avx512'] / speeds['portable']:>10.2f}  (AVX-512 / portable)"
            )


if __name__ == "__main__":
    main()

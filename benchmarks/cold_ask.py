"""One-shot `rag ask` (a new process per question): the answer prefix's saved state against evaluating it anew.

    python benchmarks/cold_ask.py [--llm default] [--questions N]

Each question of benchmarks/latency.py runs twice as `rag ask --json` in a fresh process, alternating: once with
the prefix state file removed first (the process evaluates the prefix, as every process did before, and saves
it), once with the file in place (the process loads it). The time to first token is the pipeline's own
(`timings.first_token_s`: from the question to the first token, LLM load included); "process" is the wall time of
the whole command. Prints medians, the ratio, and the size of the state file. Run it on an ingested seed index.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time

from latency import QUESTIONS

from rag.config import PROJECT_ROOT
from rag.models import cache_dir


def ask(question: str, llm: str) -> tuple[float, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "rag", "ask", "--json", "--llm", llm, question],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    return json.loads(out.stdout)["timings"]["first_token_s"], wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm", default="default", choices=["default", "fast", "tiny"])
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    args = parser.parse_args()
    kv = cache_dir() / "kv"
    results: dict[str, list[tuple[float, float]]] = {"evaluated": [], "loaded": []}
    ask(QUESTIONS[0], args.llm)  # warm the page cache for the model file, so both variants start alike
    for question in QUESTIONS[: args.questions]:
        shutil.rmtree(kv, ignore_errors=True)
        results["evaluated"].append(ask(question, args.llm))
        results["loaded"].append(ask(question, args.llm))
    size = sum(p.stat().st_size for p in kv.iterdir()) if kv.exists() else 0
    print(f"{args.llm} model, {len(results['loaded'])} questions, one process each; state file {size / 1e6:.1f} MB")
    print(f"{'prefix':<12}{'first token, median s':>23}{'process, median s':>19}")
    medians = {}
    for name, rows in results.items():
        medians[name] = (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows))
        print(f"{name:<12}{medians[name][0]:>23.2f}{medians[name][1]:>19.2f}")
    ratio = medians["loaded"][0] / medians["evaluated"][0]
    print(f"first token with the saved prefix / evaluated anew: {ratio:.2f}")


if __name__ == "__main__":
    main()

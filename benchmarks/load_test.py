"""Load test of the chat API: 16 concurrent chat requests, against the same 16 sent one at a time.

    python benchmarks/load_test.py [--url http://127.0.0.1:7860] [--llm tiny] [--concurrency 16]

Without --url it starts `rag serve` on a free port over the default index (run `make ingest` first).
Prints how many requests completed without errors, median and 95th-percentile latency, total wall time, and
the ratio of the concurrent wall time to the sequential one (the LLM answers one request at a time, so
concurrency should cost queueing, not errors).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

QUESTIONS = [
    "Which optimizer makes 4-bit LLM training more stable than Adam?",
    "How can recommender systems avoid spurious correlations between user interests?",
    "What method detects jamming in 5G networks?",
    "How can hallucination in vision-language models be reduced?",
    "How does MUVERA speed up multi-vector retrieval?",
    "What is the stability gap in continual learning?",
    "How can attention entropy collapse be prevented?",
    "What is BatchFormer?",
]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def one(url: str, model: str, question: str, stream: bool) -> tuple[float, str | None]:
    """(seconds, error or None) for one chat request."""
    import openai

    client = openai.OpenAI(base_url=f"{url}/v1", api_key=os.environ.get("RAG_UI_PASSWORD", "none"), timeout=900)
    started = time.perf_counter()
    try:
        messages = [{"role": "user", "content": question}]
        if stream:
            chunks = list(client.chat.completions.create(model=model, messages=messages, stream=True))
            ok = chunks and chunks[-1].choices[0].finish_reason == "stop"
        else:
            reply = client.chat.completions.create(model=model, messages=messages)
            ok = bool(reply.choices[0].message.content)
        return time.perf_counter() - started, None if ok else "empty reply"
    except Exception as exc:  # noqa: BLE001 - every failure is counted and printed
        return time.perf_counter() - started, f"{type(exc).__name__}: {exc}"


def batch(url: str, model: str, n: int, workers: int) -> tuple[list[float], list[str], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda i: one(url, model, QUESTIONS[i % len(QUESTIONS)], stream=i % 2 == 1), range(n)))
    return [t for t, _ in results], [e for _, e in results if e], time.perf_counter() - started


def start_server(llm: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port), "--llm", llm])
    for _ in range(600):
        try:
            urllib.request.urlopen(f"{url}/v1/models", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--llm", default="tiny", choices=["default", "fast", "tiny"])
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    proc, url = (None, args.url.rstrip("/")) if args.url else start_server(args.llm)
    model = f"paper-rag-{args.llm}"
    try:
        one(url, model, QUESTIONS[0], stream=False)  # warm-up: loads the models
        seq_times, seq_errors, seq_wall = batch(url, model, args.concurrency, 1)
        con_times, con_errors, con_wall = batch(url, model, args.concurrency, args.concurrency)
    finally:
        if proc:
            proc.terminate()
    n = args.concurrency
    print(f"model {model}, {n} requests (half streaming), {os.cpu_count()} CPU cores")
    for name, times, errors, wall in (
        ("sequential", seq_times, seq_errors, seq_wall),
        (f"{n} concurrent", con_times, con_errors, con_wall),
    ):
        print(
            f"{name:>14}: {n - len(errors)}/{n} completed without errors; latency median "
            f"{statistics.median(times):.1f} s, p95 {p95(times):.1f} s; wall {wall:.1f} s"
        )
        for error in errors:
            print(f"    error: {error}")
    print(f"concurrent / sequential wall time: {con_wall / seq_wall:.2f}")


if __name__ == "__main__":
    main()

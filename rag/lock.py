"""One writer per index, or one per shard: `rag ingest` (and the page's uploads) lock `<home>/ingest.lock`.

A whole-index ingest holds it exclusively. Shard workers (`rag ingest --shard I/N`, `--workers N`) hold it
shared, so they run beside each other but never beside a whole-index ingest, and each holds its own
`<home>/ingest.shard-I-of-N.lock` exclusively, so one shard has one writer. The locks are the kernel's
(`fcntl.flock`), so they go away with the process that held them: a crashed or killed ingest never leaves one
stuck. Each file keeps its exclusive holder's pid and start time for the message a second writer gets. With a
Chroma server the locks guard writers on this machine (that share the home folder) only.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

from rag.errors import IndexBusyError


@contextmanager
def ingest_lock(home: Path, shard: str | None = None) -> Iterator[None]:
    """Hold the index's write lock (or, with `shard`, the shared index lock and that shard's lock) for the
    duration of the block, or raise IndexBusyError at once."""
    home.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        index = stack.enter_context((home / "ingest.lock").open("a+"))
        if shard is None:
            _take(index, fcntl.LOCK_EX, home)
            stack.callback(_release, index)
        else:
            _take(index, fcntl.LOCK_SH, home)
            part = stack.enter_context((home / f"ingest.shard-{shard}.lock").open("a+"))
            _take(part, fcntl.LOCK_EX, home, f"shard {shard} of ")
            stack.callback(_release, part)
        yield


def _take(handle: IO[str], mode: int, home: Path, what: str = "") -> None:
    """Lock `handle` without waiting; an exclusive holder records its pid and start time in the file."""
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        try:
            holder = json.loads(handle.read() or "{}")
        except ValueError:
            holder = {}
        if "pid" in holder:
            since = time.strftime("%H:%M:%S", time.localtime(holder["since"]))
            who = f"another ingest (pid {holder['pid']}, since {since})"
        else:
            who = "another ingest (shard workers)"
        raise IndexBusyError(
            f"{who} is writing to {what}the index in {home}; wait for it to finish and run this again "
            "(nothing was changed)"
        ) from None
    if mode == fcntl.LOCK_EX:
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "since": time.time()}))
        handle.flush()


def _release(handle: IO[str]) -> None:
    handle.seek(0)
    handle.truncate()
    fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def bm25_lock(folder: Path) -> Iterator[None]:
    """Serialise BM25 rebuilds of one index on this machine (waits): shard workers finishing together then
    each rebuild from what the store holds when it is their turn, so the last one saved is complete."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "rebuild.lock").open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

"""One writer per index: `rag ingest` (and the page's uploads) hold an exclusive lock on `<home>/ingest.lock`.

The lock is the kernel's (`fcntl.flock`), so it goes away with the process that held it: a crashed or killed
ingest never leaves it stuck. The file keeps the holder's pid and start time for the message a second writer gets.
With a Chroma server the lock guards writers on this machine (that share the home folder) only.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag.errors import IndexBusyError


@contextmanager
def ingest_lock(home: Path) -> Iterator[None]:
    """Hold the index's write lock for the duration of the block, or raise IndexBusyError at once."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "ingest.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                holder = json.loads(handle.read() or "{}")
            except ValueError:
                holder = {}
            since = time.strftime("%H:%M:%S", time.localtime(holder["since"])) if "since" in holder else "?"
            raise IndexBusyError(
                f"another ingest (pid {holder.get('pid', '?')}, since {since}) is writing to the index in {home}; "
                "wait for it to finish and run this again (nothing was changed)"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"pid": os.getpid(), "since": time.time()}))
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)

"""Project errors: one root, caught and turned into a message only at the edges (CLI, UI, API)."""

from __future__ import annotations

from pathlib import Path


class RagError(Exception):
    """Root of every error this project raises on purpose."""


class InputError(RagError):
    """A source file (or a user's input) cannot be used; names the file and line where known."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = self.path + (f", line {line}" if line is not None else "") + ": "
        super().__init__(where + message)
        self.reason = message


class ConfigError(RagError):
    """Settings that cannot work together, or a model/server that cannot be reached."""


class IndexStateError(RagError):
    """The vector index is missing, or was built with other settings."""


class IndexBusyError(RagError):
    """Another process is writing to this index (see rag.lock)."""

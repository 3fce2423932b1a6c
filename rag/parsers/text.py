"""Reading a source file as text, with a clear error for each way it can be unusable."""

from __future__ import annotations

from pathlib import Path

from rag.errors import InputError

BINARY_SNIFF_BYTES = 8192


def read_lines(path: Path, max_line_chars: int) -> list[str]:
    """Return the file's lines (no line endings), or raise InputError naming the problem.

    Rejects: a missing path, a folder, an empty file, a binary file, bytes that are not UTF-8,
    and any line longer than `max_line_chars`.
    """
    if not path.exists():
        raise InputError("no such file or directory", path)
    if path.is_dir():
        raise InputError("is a folder, expected a file", path)
    data = path.read_bytes()
    if not data.strip():
        raise InputError("file is empty", path)
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise InputError("looks like a binary file (it contains NUL bytes), expected UTF-8 text", path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise InputError(f"is not valid UTF-8 (byte 0x{bad}); save the file as UTF-8", path, line) from None
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if len(line) > max_line_chars:
            raise InputError(f"line is {len(line):,} characters long; the limit is {max_line_chars:,}", path, number)
    return lines

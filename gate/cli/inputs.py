"""The files a command reads, checked before any work starts, with a message that says what is wrong."""

from __future__ import annotations

from pathlib import Path

from gate.errors import UsageError


def input_file(path: str, what: str = "file") -> Path:
    """``path`` as a readable regular file, or a UsageError naming the problem (missing, a directory, ...)."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{path} is a directory, not {what}: give the path of the file itself")
    if not p.exists():
        raise UsageError(f"no such file: {path}")
    if not p.is_file():
        raise UsageError(f"{path} is not a regular file ({what} expected)")
    return p

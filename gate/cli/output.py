"""Where a command's output goes: standard output, or the file of ``--out``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gate.errors import UsageError


def write(text: str, out: str | None) -> None:
    if out:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


@contextmanager
def new_file(out: str | None) -> Iterator[Callable[[str], None]]:
    """Create ``out`` now, readable by its owner alone, and give a function that writes it; remove it again if
    the block fails. For files that hold secrets shown once (``tenants add --out``): it is never overwritten (a
    file already there may hold the only copy of earlier ones), and it is claimed before the secret is made, so
    a secret is never made that could not be saved. With ``out`` None the text goes to standard output."""
    if not out:
        yield lambda text: write(text, None)
        return
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{out} already exists; not overwriting it (it may hold the only copy of a secret): "
                         "move it away or choose another --out") from None
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    done = False
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:

            def save(text: str) -> None:
                fh.write(text if text.endswith("\n") else text + "\n")

            yield save
        done = True
    finally:
        if not done:
            Path(out).unlink(missing_ok=True)

"""Where a command's output goes: standard output, or the file of ``--out``."""

from __future__ import annotations

import sys
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

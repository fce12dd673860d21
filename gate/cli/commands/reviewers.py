"""``gate reviewers``: the review desk's accounts (interface.md section 8), kept in the record.

A password never comes from the command line alone (it would sit in the shell history and in ``ps``): it is
asked for twice at a terminal, or read from ``--password-file`` (``-`` for standard input), or from standard
input when that is not a terminal.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from gate.cli.output import write
from gate.errors import UsageError


def run(args: argparse.Namespace) -> int:
    from gate.record.repository import RecordError

    record = _record()
    try:
        out = _reviewers(record, args)
    except RecordError as exc:
        raise UsageError(str(exc)) from None
    finally:
        record.engine.dispose()
    write(json.dumps(out, ensure_ascii=False, indent=2), None)
    return 0


def _record() -> Any:
    """The configured record (DATABASE_URL, else var/gate.db), its schema brought to the newest revision."""
    from gate.record.db import current_revision, database_url, head_revision, upgrade
    from gate.record.repository import Record

    try:
        record = Record.from_url(database_url())
        if current_revision(record.engine) != head_revision():
            upgrade(record.engine)
    except Exception as exc:  # noqa: BLE001 - a database that cannot be opened is the command failing
        raise UsageError(f"cannot open the record: {type(exc).__name__}: {exc}") from None
    return record


def _reviewers(record: Any, args: argparse.Namespace) -> dict[str, Any]:
    if args.action == "add":
        reviewer: dict[str, Any] = record.add_reviewer(args.name, read_password(args.password_file), args.role)
        return reviewer
    if args.action == "disable":
        if not record.disable_reviewer(args.name):
            raise UsageError(f"no reviewer {args.name}")
        return {"name": args.name, "disabled": True}
    return {"reviewers": record.reviewers()}


def read_password(password_file: str | None) -> str:
    if password_file == "-" or (password_file is None and not sys.stdin.isatty()):
        text = sys.stdin.readline()
    elif password_file is not None:
        try:
            lines = Path(password_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {password_file}: {exc}") from None
        text = lines[0] if lines else ""
    else:
        text = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != text:
            raise UsageError("the two passwords differ")
    password = text.rstrip("\r\n")
    if not password:
        raise UsageError("no password given (a prompt, --password-file FILE, or one line on standard input)")
    return password

"""``gate delist``: the registry of delisted packages and developers behind PLT-DELISTED."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

from gate.cli.connect import record as configured_record
from gate.cli.output import write
from gate.errors import UsageError
from gate.record.repository import RecordError


def run(args: argparse.Namespace) -> int:
    try:
        with configured_record(may_create=args.action in ("add", "import")) as store:
            out: dict[str, Any]
            if args.action == "add":
                out = {"added": store.delist(args.package, args.developer, args.notice)}
            elif args.action == "remove":
                if not store.undelist(args.package, args.developer):
                    raise UsageError(f"{args.package} is not on the delisted registry")
                out = {"removed": args.package}
            elif args.action == "import":
                out = {"added": [store.delist(r["package"], r["developer"], str(r["notice"]), source=args.file)
                                 for r in read_notice_list(args.file, args.notice)]}
            else:
                out = {"delisted": store.delisted_entries()}
    except RecordError as exc:
        raise UsageError(str(exc)) from None
    write(json.dumps(out, ensure_ascii=False, indent=2), None)
    return 0


def read_notice_list(path: str, notice: str | None) -> list[dict[str, str | None]]:
    """Rows of a notice list: CSV with a header (package, developer, notice) or JSON (a list of such
    objects, or {"notice": ..., "packages": [...], "developers": [...]}). ``notice`` fills rows without one."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    rows: list[dict[str, str | None]] = []
    if path.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if isinstance(data, dict):
            shared = data.get("notice") or notice
            rows += [{"package": p, "developer": None, "notice": shared} for p in data.get("packages", [])]
            rows += [{"package": None, "developer": d, "notice": shared} for d in data.get("developers", [])]
        elif isinstance(data, list):
            rows += [{"package": r.get("package"), "developer": r.get("developer"),
                      "notice": r.get("notice") or notice} for r in data if isinstance(r, dict)]
    else:
        for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
            if not isinstance(row, dict) or not ({"package", "developer"} & set(row)):
                raise UsageError(f"{path}: the CSV needs a header with package and/or developer (line 1)")
            rows.append({"package": (row.get("package") or "").strip() or None,
                         "developer": (row.get("developer") or "").strip() or None,
                         "notice": (row.get("notice") or "").strip() or notice, "line": str(number)})
    for row in rows:
        if not row.get("notice"):
            where = f" (line {row['line']})" if row.get("line") else ""
            raise UsageError(f"{path}{where}: a row has no notice; give --notice or a notice column")
        row.pop("line", None)
    if not rows:
        raise UsageError(f"{path} lists no package or developer")
    return rows

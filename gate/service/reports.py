"""The decisions report (interface.md section 8): every build decided in a period, for the regulator and the store.

One row per build decided (by the gate, or by a reviewer) in ``[from, to)``: the build and its store's own id,
the app, the verdict, the rules that warned or blocked, the review status and the latest review decision with
its reviewer, reason and time. ``gate report decisions`` and ``GET /api/v1/reports/decisions`` both write it,
as CSV (a header, one line per build, the rules joined by ``;``) or JSON Lines (one object per build).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from gate.core.times import iso_utc, parse_instant
from gate.errors import GateError
from gate.record.repository import Record

FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}
COLUMNS = ("build_id", "tenant", "platform_build_id", "package", "version_code", "developer", "category", "status",
           "verdict", "rules", "decided_at", "review_status", "decision", "reviewer", "reason", "reviewed_at",
           "reviewer_identified_by")


class ReportError(GateError, ValueError):
    """A period or format the report cannot use (said to the caller: 400, or the CLI's usage error)."""


def parse_period(start: str | None, end: str | None) -> tuple[float, float]:
    """``from`` and ``to`` as UNIX seconds: a date (``2026-12-01``, the whole day: ``to`` includes it) or a UTC
    time (``2026-12-01T08:00:00Z``, exact). Both are required and ``from`` comes before ``to``."""
    if not start or not end:
        raise ReportError("give the period: from and to, as dates (YYYY-MM-DD) or UTC times (YYYY-MM-DDTHH:MM:SSZ)")
    begin, finish = _instant(start, "from", end_of_day=False), _instant(end, "to", end_of_day=True)
    if finish <= begin:
        raise ReportError(f"the period is empty: to ({end}) is not after from ({start})")
    return begin, finish


def _instant(text: str, name: str, *, end_of_day: bool) -> float:
    try:
        return parse_instant(text, end_of_day=end_of_day)
    except ValueError:
        raise ReportError(f"{name} is not a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ): "
                          f"{text[:40]!r}") from None


def rows(record: Record, start: float, end: float, tenant: str | None = None) -> list[dict[str, Any]]:
    out = []
    for r in record.decisions_report(start, end, tenant):
        row = {c: r.get(c) for c in COLUMNS}
        row["decided_at"], row["reviewed_at"] = iso_utc(r.get("decided_at")), iso_utc(r.get("reviewed_at"))
        row["rules"] = list(r.get("rules") or [])
        out.append(row)
    return out


def render(found: Iterable[Mapping[str, Any]], fmt: str) -> str:
    if fmt not in FORMATS:
        raise ReportError(f"format is one of {', '.join(FORMATS)}")
    if fmt == "jsonl":
        return "".join(json.dumps(dict(r), ensure_ascii=False, sort_keys=False) + "\n" for r in found)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in found:
        writer.writerow(["" if r.get(c) is None else (";".join(r[c]) if c == "rules" else r[c]) for c in COLUMNS])
    return buf.getvalue()

"""``gate report decisions``: every build decided in a period (gate.service.reports), as CSV or JSON Lines."""

from __future__ import annotations

import argparse

from gate.cli.connect import record as configured_record
from gate.cli.output import write
from gate.errors import UsageError
from gate.service import reports


def run(args: argparse.Namespace) -> int:
    try:
        start, end = reports.parse_period(args.start, args.end)
        with configured_record(may_create=False) as record:
            if args.tenant and record.get_tenant(args.tenant) is None:
                raise UsageError(f"no tenant {args.tenant}")
            text = reports.render(reports.rows(record, start, end, args.tenant), args.format)
    except reports.ReportError as exc:
        raise UsageError(str(exc)) from None
    write(text, args.out)
    return 0

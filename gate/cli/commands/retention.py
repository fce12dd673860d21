"""``gate retention``: archive decided builds older than the retention period, then delete them from the record.

The period is ``--days`` or ``GATE_RETENTION_DAYS``; the archive is JSON Lines under ``<data dir>/archive``
(gate.record.repository.Record.archive: each batch is on disk before its rows are deleted). The reaper that
``gate serve`` runs does the same once a day when ``GATE_RETENTION_DAYS`` is set.
"""

from __future__ import annotations

import argparse
import json

from gate.cli.connect import record as configured_record
from gate.cli.output import write
from gate.errors import UsageError
from gate.service.settings import Settings


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    days = args.days if args.days is not None else settings.retention_days
    if not days or days <= 0:
        raise UsageError("no retention period: give --days N or set GATE_RETENTION_DAYS (days, more than 0)")
    with configured_record(may_create=False) as record:
        result = record.archive(days, settings.archive_dir)
    write(json.dumps({**result, "days": days}), None)
    return 0

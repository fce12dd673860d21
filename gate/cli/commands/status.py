"""``gate status``: queues, workers, failed jobs and undecided builds, for operators."""

from __future__ import annotations

import argparse
import json

from gate.cli.connect import record as configured_record
from gate.cli.connect import store as configured_store
from gate.cli.output import write
from gate.service.queues import rq_connection
from gate.service.status import as_text, status


def run(args: argparse.Namespace) -> int:
    with configured_store(may_create=False) as store, configured_record(may_create=False, located=True) as record:
        doc = status(rq_connection(str(store.url)), record.active_builds())
    write(json.dumps(doc, indent=2) if args.format == "json" else as_text(doc), None)
    return 0

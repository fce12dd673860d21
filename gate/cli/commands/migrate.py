"""``gate migrate``: create or upgrade the record's schema, then import an older Redis-only store once."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from gate.cli.output import write
from gate.errors import UsageError


def run(args: argparse.Namespace) -> int:
    from gate.cli.locate import use
    from gate.record.db import database_url, upgrade

    use(may_create=True)  # the database of the gate found as every command finds it, named on stderr

    url = database_url()
    out: dict[str, Any] = {"database": url.split("://", 1)[0]}
    try:
        out["revision"] = upgrade(url)
        redis_url = args.redis_url or os.environ.get("REDIS_URL")
        if redis_url and not args.no_import:
            import redis

            from gate.record.importer import import_redis
            from gate.record.repository import Record

            record = Record.from_url(url)
            try:
                client = redis.Redis.from_url(redis_url, decode_responses=True)
                out["redis_import"] = import_redis(client, record, os.environ.get("GATE_KEY_PREFIX", "gate:"))
            finally:
                record.engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any database or Redis error is the command failing, said plainly
        raise UsageError(f"migrating the record failed: {type(exc).__name__}: {exc}") from None
    write(json.dumps(out), None)
    return 0

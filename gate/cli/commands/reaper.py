"""``gate reaper``: answers builds whose worker died (one retry, then failed with GATE-CHECK-FAILED)."""

from __future__ import annotations

import argparse
import json

from gate.cli.output import write
from gate.errors import UsageError
from gate.service.runtime import Runtime
from gate.service.settings import Settings
from workers.reaper import reap, run_forever


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.redis_url:
        raise UsageError("REDIS_URL is not set")
    rt = Runtime(settings)
    if args.once:
        write(json.dumps({"actions": reap(rt)}), None)
        return 0
    run_forever(rt, args.interval)
    return 0

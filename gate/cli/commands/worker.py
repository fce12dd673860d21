"""``gate worker``: one RQ worker on REDIS_URL."""

from __future__ import annotations

import argparse

from gate.cli.connect import check_policy
from gate.errors import UsageError
from gate.service.settings import Settings
from workers.worker import run as run_worker


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.redis_url:
        raise UsageError("REDIS_URL is not set (gate serve sets it for its own workers)")
    check_policy(settings.policy)
    run_worker(settings, burst=args.burst)
    return 0

"""``gate serve``: the whole service, supervised (web, workers, reaper; an embedded Redis without REDIS_URL)."""

from __future__ import annotations

import argparse

from gate.cli.connect import check_policy
from gate.cli.serve import serve
from gate.service.settings import Settings


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    check_policy(settings.policy)
    return serve(settings, args.host, args.port, args.workers)

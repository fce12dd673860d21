"""The ``gate`` command line (interface.md section 3): its arguments, and the dispatch to one module per
command under ``gate.cli.commands``. Exit statuses are in ``gate.cli.exits``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from gate import __version__
from gate.cli import exits
from gate.cli.exits import EXIT_BY_VERDICT, EXIT_USAGE
from gate.errors import UsageError

__all__ = ["EXIT_BY_VERDICT", "EXIT_USAGE", "UsageError", "build_parser", "entry", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad usage; the contract reserves 2 for 'block', so use 3."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(exits.USAGE, f"gate: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gate", description="The listing gate: compliance review of Android apps for app stores.")
    parser.add_argument("--version", action="version", version=f"gate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = sub.add_parser("scan", help="analyse one APK offline and print its verdict")
    scan.add_argument("apk", help="the APK file")
    scan.add_argument("--listing", metavar="FILE", help="the listing JSON (interface.md section 1)")
    scan.add_argument("--policy", default="cn-default", metavar="NAME", help="policy name or file (default cn-default)")
    scan.add_argument("--format", choices=("json", "text", "sarif"), default="text")
    scan.add_argument("--out", metavar="FILE", help="write the verdict to FILE instead of standard output")
    scan.add_argument("--history", action="store_true",
                      help="read and record the package's history and the delisted registry in the store "
                           "(the record: DATABASE_URL, or the SQLite file under the data directory), and apply "
                           "the store's active waivers as the service does")
    scan.add_argument("--tenant", default="cli", help="whose history and waivers --history uses (default: cli)")
    scan.set_defaults(command_module="scan")

    delist = sub.add_parser("delist", help="the delisted registry (regulators' takedown notices)")
    dsub = delist.add_subparsers(dest="action", required=True, parser_class=_Parser)
    dadd = dsub.add_parser("add", help="put a package (and its developer) on the registry")
    dadd.add_argument("package")
    dadd.add_argument("--developer", help="the developer id, to block the developer's other packages too")
    dadd.add_argument("--notice", required=True, help="the notice it comes from, e.g. 工信部2024年第3批通报")
    drem = dsub.add_parser("remove", help="take a package (or developer) off the registry")
    drem.add_argument("package")
    drem.add_argument("--developer")
    dsub.add_parser("list", help="the registry")
    dimp = dsub.add_parser("import", help="bulk import a notice list (CSV with package,developer,notice or JSON)")
    dimp.add_argument("file")
    dimp.add_argument("--notice", help="notice for rows that do not name one")
    delist.set_defaults(command_module="delist")

    rules = sub.add_parser("rules", help="list every rule with its outcome under a policy")
    rules.add_argument("--policy", default="cn-default", metavar="NAME")
    rules.add_argument("--format", choices=("json", "text"), default="text")
    rules.set_defaults(command_module="rules")

    serve = sub.add_parser("serve", help="run the service: web, workers, reaper (and Redis if REDIS_URL is unset)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="RQ workers (default 2)")
    serve.set_defaults(command_module="serve")

    worker = sub.add_parser("worker", help="run one RQ worker on REDIS_URL")
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    worker.set_defaults(command_module="worker")

    reaper = sub.add_parser("reaper", help="answer builds whose worker died (gate serve runs one)")
    reaper.add_argument("--once", action="store_true")
    reaper.add_argument("--interval", type=float, default=5.0)
    reaper.set_defaults(command_module="reaper")

    tenants = sub.add_parser("tenants", help="the stores that may submit builds")
    tsub = tenants.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = tsub.add_parser("add", help="register a store; prints its webhook secret and API token once")
    add.add_argument("name")
    add.add_argument("--callback-url", required=True)
    add.add_argument("--allowed-host", action="append", metavar="HOST[:PORT]",
                     help="host the gate may download artifacts from (repeatable)")
    add.add_argument("--policy", help="policy for this store's builds (default: GATE_POLICY or cn-default)")
    add.add_argument("--out", metavar="FILE",
                     help="write the secret and token to FILE (created readable by you only; never overwritten)")
    add.add_argument("--if-missing", action="store_true",
                     help="if the store exists already, print its public fields and exit 0 instead of failing")
    tsub.add_parser("list", help="list the stores (no secrets)")
    rotate = tsub.add_parser("rotate", help="new webhook secret and API token for a store")
    rotate.add_argument("name")
    rotate.add_argument("--out", metavar="FILE", help="write the new secret and token to FILE (never overwritten)")
    tpol = tsub.add_parser("policy", help="a store's policy pack, override (outcomes, settings, limits) and hosts")
    tpol.add_argument("name")
    tpol.add_argument("--pack", help="policy pack: cn-default, google-play, strict, or a policy file")
    tpol.add_argument("--override", metavar="FILE",
                      help='JSON: {"outcomes": {...}, "settings": {...}, "limits": {...}}')
    tpol.add_argument("--clear-override", action="store_true")
    tpol.add_argument("--allowed-host", action="append", metavar="HOST[:PORT]", help="replaces the allowed hosts")
    tpol.add_argument("--review-blocks", choices=("yes", "no"),
                      help="whether the store's blocked builds also wait for a reviewer (review_status pending)")
    tenants.set_defaults(command_module="tenants")

    status = sub.add_parser("status", help="queues, workers, failed jobs and undecided builds (for operators)")
    status.add_argument("--format", choices=("json", "text"), default="text")
    status.set_defaults(command_module="status")

    migrate = sub.add_parser("migrate", help="create or upgrade the record's schema (DATABASE_URL, else var/gate.db) "
                                             "and import an older Redis store once (REDIS_URL)")
    migrate.add_argument("--redis-url", help="the Redis store to import (default: REDIS_URL)")
    migrate.add_argument("--no-import", action="store_true", help="only the schema; import nothing from Redis")
    migrate.set_defaults(command_module="migrate")

    report = sub.add_parser("report", help="export the record: every build decided in a period")
    rsub = report.add_subparsers(dest="report", required=True, parser_class=_Parser)
    rdec = rsub.add_parser("decisions", help="every build, verdict, rules fired, review decision, reviewer and time")
    rdec.add_argument("--from", dest="start", required=True, metavar="DATE",
                      help="first day (YYYY-MM-DD) or UTC time (YYYY-MM-DDTHH:MM:SSZ)")
    rdec.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day (included) or UTC time")
    rdec.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    rdec.add_argument("--tenant", help="one store's builds only")
    rdec.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    report.set_defaults(command_module="report")

    retention = sub.add_parser("retention", help="archive decided builds older than N days to JSON Lines under the "
                                                 "data directory, then delete them from the record")
    retention.add_argument("--days", type=float, help="the retention period (default: GATE_RETENTION_DAYS)")
    retention.set_defaults(command_module="retention")

    reviewers = sub.add_parser("reviewers", help="the review desk's accounts (roles reviewer, senior, admin)")
    rsub = reviewers.add_subparsers(dest="action", required=True, parser_class=_Parser)
    radd = rsub.add_parser("add", help="a new reviewer; the password is asked for, or read from a file or stdin")
    radd.add_argument("name")
    radd.add_argument("--role", choices=("reviewer", "senior", "admin"), default="reviewer")
    radd.add_argument("--password-file", metavar="FILE", help="first line is the password ('-': standard input)")
    rsub.add_parser("list", help="the reviewers (no passwords)")
    rdis = rsub.add_parser("disable", help="a reviewer can no longer sign in (the record keeps the account)")
    rdis.add_argument("name")
    reviewers.set_defaults(command_module="reviewers")

    submit = sub.add_parser("submit", help="sign and post a build to a running gate (smoke tests)")
    submit.add_argument("apk")
    submit.add_argument("--listing", required=True, metavar="FILE")
    submit.add_argument("--tenant", required=True)
    submit.add_argument("--secret", required=True, help="the tenant's whsec_ webhook secret")
    submit.add_argument("--url", required=True, help="the gate's base URL, e.g. http://127.0.0.1:8000")
    submit.add_argument("--build-id", help="the store's own build id (default: the APK's file name)")
    submit.add_argument("--webhook-id", help="webhook-id header (default: random; reuse it to test redelivery)")
    submit.add_argument("--wait", action="store_true",
                        help="poll until the verdict is decided (needs --token); print the decided build instead "
                             "of the gate's answer and exit with its verdict, as scan does")
    submit.add_argument("--token", help="the tenant's API token, for --wait")
    submit.add_argument("--timeout", type=float, default=300)
    submit.set_defaults(command_module="submit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Only the chosen command's module is imported: `gate scan` never loads Redis, RQ or Flask.
    command = importlib.import_module(f"gate.cli.commands.{args.command_module}")
    try:
        code: int = command.run(args)
    except UsageError as exc:
        print(f"gate: error: {exc}", file=sys.stderr)
        return exits.USAGE
    except KeyboardInterrupt:
        return exits.INTERRUPTED
    return code


def entry() -> NoReturn:
    """The ``gate`` command (and ``python -m gate.cli``): ``main`` in a process of its own.

    The interpreter's last act would be a garbage collection over every object the run made, about 16 ms
    after a scan, only to free memory the system takes back anyway. Freezing the objects skips that walk;
    output is flushed and exit handlers run as usual. (Tests call ``main`` in process, never this.)
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()

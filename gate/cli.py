"""The ``gate`` command line (interface.md section 3).

Exit status of ``gate scan``: 0 pass, 1 warn, 2 block, 3 the command itself could not run. An APK that
cannot be read is a verdict (block, PKG-UNREADABLE), not an exit 3.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from gate import __version__

if TYPE_CHECKING:
    from gate.embedded import EmbeddedRedis
    from gate.settings import Settings

EXIT_USAGE = 3
EXIT_BY_VERDICT = {"pass": 0, "warn": 1, "block": 2}


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad usage; the contract reserves 2 for 'block', so use 3."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"gate: error: {message}\n")


def _write(text: str, out: str | None) -> None:
    if out:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_scan(args: argparse.Namespace) -> int:
    from gate import listing as listing_mod
    from gate import policy as policy_mod
    from gate.report import _colour, to_json, to_sarif, to_text
    from gate.scan import scan

    apk = Path(args.apk)
    if not apk.is_file():
        raise UsageError(f"no such file: {apk}")
    try:
        policy = policy_mod.load(args.policy)
    except policy_mod.PolicyError as exc:
        raise UsageError(str(exc)) from None
    listing = None
    if args.listing:
        try:
            listing = listing_mod.load_file(args.listing)
        except listing_mod.ListingError as exc:
            raise UsageError(str(exc)) from None
    try:
        verdict = scan(apk, policy, listing)
    except OSError as exc:
        raise UsageError(f"cannot read {apk}: {exc.strerror or exc}") from None
    if args.format == "json":
        text = to_json(verdict)
    elif args.format == "sarif":
        text = to_sarif(verdict, apk.name)
    else:
        text = to_text(verdict, colour=not args.out and _colour(sys.stdout))
    _write(text, args.out)
    return EXIT_BY_VERDICT[verdict.verdict]


def cmd_rules(args: argparse.Namespace) -> int:
    from checks import implemented_rules
    from gate import catalogue
    from gate import policy as policy_mod

    try:
        policy = policy_mod.load(args.policy)
    except policy_mod.PolicyError as exc:
        raise UsageError(str(exc)) from None
    implemented = implemented_rules()
    rows = [
        {"id": r.id, "family": r.family, "title": r.title, "outcome": policy.outcome_for(r.id),
         "implemented": r.id in implemented, "references": list(r.references), "fires_when": r.fires_when}
        for r in catalogue.rules().values()
    ]
    if args.format == "json":
        doc = {"policy": {"name": policy.name, "version": policy.version}, "gate_version": __version__,
               "rules": rows}
        _write(json.dumps(doc, ensure_ascii=False, indent=2), None)
        return 0
    width = max(len(str(r["id"])) for r in rows)
    lines = [f"Rules under policy {policy.name} ({policy.version}):", ""]
    for r in rows:
        state = "" if r["implemented"] else "  (not implemented yet)"
        lines.append(f"  {r['id']:<{width}}  {r['outcome']:<5}  {r['title']}{state}")
    missing = sum(1 for r in rows if not r["implemented"])
    lines += ["", f"{len(rows)} rules, {len(rows) - missing} implemented, {missing} not yet."]
    _write("\n".join(lines), None)
    return 0


def _settings_with_redis() -> tuple[Settings, EmbeddedRedis | None]:
    """Settings whose REDIS_URL is set: the given one, the running embedded one, or a temporary embedded one."""
    from dataclasses import replace

    from gate.embedded import EmbeddedRedis
    from gate.serve import embedded_url
    from gate.settings import Settings

    settings = Settings.from_env()
    if settings.redis_url:
        return settings, None
    url = embedded_url(settings.data_dir)
    if url:
        return replace(settings, redis_url=url), None
    embedded = EmbeddedRedis(settings.data_dir)
    return replace(settings, redis_url=embedded.start()), embedded


def cmd_tenants(args: argparse.Namespace) -> int:
    from gate.store import Store, StoreError

    settings, embedded = _settings_with_redis()
    try:
        store = Store.from_url(str(settings.redis_url), settings.key_prefix)
        out: dict[str, Any]
        if args.action == "add":
            tenant, token = store.add_tenant(args.name, args.callback_url, args.allowed_host or (), args.policy)
            out = {"tenant": tenant.name, "webhook_secret": tenant.secret, "api_token": token,
                   "callback_url": tenant.callback_url, "allowed_hosts": tenant.allowed_hosts,
                   "policy": tenant.policy}
        elif args.action == "rotate":
            tenant, token = store.rotate_tenant(args.name)
            out = {"tenant": tenant.name, "webhook_secret": tenant.secret, "api_token": token}
        else:
            out = {"tenants": [t.public() for t in store.list_tenants()]}
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    finally:
        if embedded is not None:
            embedded.stop()
    _write(json.dumps(out, ensure_ascii=False, indent=2), None)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from gate.serve import serve
    from gate.settings import Settings

    return serve(Settings.from_env(), args.host, args.port, args.workers)


def cmd_worker(args: argparse.Namespace) -> int:
    from gate.settings import Settings
    from workers.worker import run

    settings = Settings.from_env()
    if not settings.redis_url:
        raise UsageError("REDIS_URL is not set (gate serve sets it for its own workers)")
    run(settings, burst=args.burst)
    return 0


def cmd_reaper(args: argparse.Namespace) -> int:
    from gate.service import Runtime
    from gate.settings import Settings
    from workers.reaper import reap, run_forever

    settings = Settings.from_env()
    if not settings.redis_url:
        raise UsageError("REDIS_URL is not set")
    rt = Runtime(settings)
    if args.once:
        _write(json.dumps({"actions": reap(rt)}), None)
        return 0
    run_forever(rt, args.interval)
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from gate.submit import submit

    return submit(args)


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
    scan.set_defaults(func=cmd_scan)

    rules = sub.add_parser("rules", help="list every rule with its outcome under a policy")
    rules.add_argument("--policy", default="cn-default", metavar="NAME")
    rules.add_argument("--format", choices=("json", "text"), default="text")
    rules.set_defaults(func=cmd_rules)

    serve = sub.add_parser("serve", help="run the service: web, workers, reaper (and Redis if REDIS_URL is unset)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="RQ workers (default 2)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run one RQ worker on REDIS_URL")
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    worker.set_defaults(func=cmd_worker)

    reaper = sub.add_parser("reaper", help="answer builds whose worker died (gate serve runs one)")
    reaper.add_argument("--once", action="store_true")
    reaper.add_argument("--interval", type=float, default=5.0)
    reaper.set_defaults(func=cmd_reaper)

    tenants = sub.add_parser("tenants", help="the stores that may submit builds")
    tsub = tenants.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = tsub.add_parser("add", help="register a store; prints its webhook secret and API token once")
    add.add_argument("name")
    add.add_argument("--callback-url", required=True)
    add.add_argument("--allowed-host", action="append", metavar="HOST[:PORT]",
                     help="host the gate may download artifacts from (repeatable)")
    add.add_argument("--policy", help="policy for this store's builds (default: GATE_POLICY or cn-default)")
    tsub.add_parser("list", help="list the stores (no secrets)")
    rotate = tsub.add_parser("rotate", help="new webhook secret and API token for a store")
    rotate.add_argument("name")
    tenants.set_defaults(func=cmd_tenants)

    submit = sub.add_parser("submit", help="sign and post a build to a running gate (smoke tests)")
    submit.add_argument("apk")
    submit.add_argument("--listing", required=True, metavar="FILE")
    submit.add_argument("--tenant", required=True)
    submit.add_argument("--secret", required=True, help="the tenant's whsec_ webhook secret")
    submit.add_argument("--url", required=True, help="the gate's base URL, e.g. http://127.0.0.1:8000")
    submit.add_argument("--build-id", help="the store's own build id (default: the APK's file name)")
    submit.add_argument("--webhook-id", help="webhook-id header (default: random; reuse it to test redelivery)")
    submit.add_argument("--wait", action="store_true", help="poll until the verdict is decided (needs --token)")
    submit.add_argument("--token", help="the tenant's API token, for --wait")
    submit.add_argument("--timeout", type=float, default=300)
    submit.set_defaults(func=cmd_submit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except UsageError as exc:
        print(f"gate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())

"""The ``gate`` command line (interface.md section 3).

Exit status of ``gate scan``: 0 pass, 1 warn, 2 block, 3 the command itself could not run. An APK that
cannot be read is a verdict (block, PKG-UNREADABLE), not an exit 3.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from gate import __version__

if TYPE_CHECKING:
    from gate.core.context import BuildContext
    from gate.core.model import Verdict
    from gate.core.policy import Policy
    from gate.record.store import Store

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
    from gate.core import policy as policy_mod
    from gate.core.context import BuildContext

    apk = Path(args.apk)
    if not apk.is_file():
        raise UsageError(f"no such file: {apk}")
    try:
        policy = policy_mod.load(args.policy)
    except policy_mod.PolicyError as exc:
        raise UsageError(str(exc)) from None
    # Start the signature verification and the file hash on the other core now: this process still has
    # to read the listing and import the analysis code (about 0.1 s for a one-shot run).
    ctx = BuildContext(apk, None, policy.limits)
    ctx.prefetch()
    try:
        verdict = _scan(args, ctx, policy)
    finally:
        ctx.close()
    from gate.cli.render import _colour, to_json, to_sarif, to_text

    if args.format == "json":
        text = to_json(verdict)
    elif args.format == "sarif":
        text = to_sarif(verdict, apk.name)
    else:
        text = to_text(verdict, colour=not args.out and _colour(sys.stdout))
    _write(text, args.out)
    return EXIT_BY_VERDICT[verdict.verdict]


def _scan(args: argparse.Namespace, ctx: BuildContext, policy: Policy) -> Verdict:
    from gate.core.scan import scan_context

    if args.listing:
        from gate.core import listing as listing_mod  # marshmallow: only when there is a listing to read

        try:
            ctx.listing = listing_mod.load_file(args.listing)
        except listing_mod.ListingError as exc:
            raise UsageError(str(exc)) from None
    try:
        if args.history:
            from gate.record.store import StoreHistory

            with _store() as store:
                ctx.history = StoreHistory(store, args.tenant)
                verdict = scan_context(ctx, policy)
                if verdict.app.package:
                    store.append_history(args.tenant, verdict.app.package, f"cli-{verdict.app.sha256[:16]}",
                                         verdict.to_dict())
        else:
            verdict = scan_context(ctx, policy)
    except OSError as exc:
        raise UsageError(f"cannot read {ctx.path}: {exc.strerror or exc}") from None
    return verdict


def cmd_delist(args: argparse.Namespace) -> int:
    from gate.record.store import StoreError

    try:
        with _store() as store:
            out: dict[str, Any]
            if args.action == "add":
                out = {"added": store.delist(args.package, args.developer, args.notice)}
            elif args.action == "remove":
                if not store.undelist(args.package, args.developer):
                    raise UsageError(f"{args.package} is not on the delisted registry")
                out = {"removed": args.package}
            elif args.action == "import":
                out = {"added": [store.delist(r["package"], r["developer"], str(r["notice"]), source=args.file)
                                 for r in read_notice_list(args.file, args.notice)]}
            else:
                out = {"delisted": store.delisted_entries()}
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    _write(json.dumps(out, ensure_ascii=False, indent=2), None)
    return 0


def read_notice_list(path: str, notice: str | None) -> list[dict[str, str | None]]:
    """Rows of a notice list: CSV with a header (package, developer, notice) or JSON (a list of such
    objects, or {"notice": ..., "packages": [...], "developers": [...]}). ``notice`` fills rows without one."""
    import csv

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    rows: list[dict[str, str | None]] = []
    if path.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if isinstance(data, dict):
            shared = data.get("notice") or notice
            rows += [{"package": p, "developer": None, "notice": shared} for p in data.get("packages", [])]
            rows += [{"package": None, "developer": d, "notice": shared} for d in data.get("developers", [])]
        elif isinstance(data, list):
            rows += [{"package": r.get("package"), "developer": r.get("developer"),
                      "notice": r.get("notice") or notice} for r in data if isinstance(r, dict)]
    else:
        for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
            if not isinstance(row, dict) or not ({"package", "developer"} & set(row)):
                raise UsageError(f"{path}: the CSV needs a header with package and/or developer (line 1)")
            rows.append({"package": (row.get("package") or "").strip() or None,
                         "developer": (row.get("developer") or "").strip() or None,
                         "notice": (row.get("notice") or "").strip() or notice, "line": str(number)})
    for row in rows:
        if not row.get("notice"):
            where = f" (line {row['line']})" if row.get("line") else ""
            raise UsageError(f"{path}{where}: a row has no notice; give --notice or a notice column")
        row.pop("line", None)
    if not rows:
        raise UsageError(f"{path} lists no package or developer")
    return rows


def cmd_rules(args: argparse.Namespace) -> int:
    from checks import implemented_rules
    from gate.core import policy as policy_mod
    from gate.core import reference

    try:
        policy = policy_mod.load(args.policy)
    except policy_mod.PolicyError as exc:
        raise UsageError(str(exc)) from None
    implemented = implemented_rules()
    rows = [
        {"id": r.id, "family": r.family, "title": r.title, "outcome": policy.outcome_for(r.id),
         "implemented": r.id in implemented, "references": list(r.references), "fires_when": r.fires_when}
        for r in reference.rules().values()
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


@contextmanager
def _store() -> Iterator[Store]:
    """The configured store: REDIS_URL, the running embedded Redis of the data directory, or a temporary
    embedded one started for this command and stopped after it."""
    from gate.record.embedded import with_redis
    from gate.record.store import Store
    from gate.service.settings import Settings

    settings, embedded = with_redis(Settings.from_env())
    try:
        yield Store.from_url(str(settings.redis_url), settings.key_prefix)
    finally:
        if embedded is not None:
            embedded.stop()


def cmd_tenants(args: argparse.Namespace) -> int:
    from gate.record.store import StoreError

    try:
        with _store() as store:
            out = _tenants(store, args)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    _write(json.dumps(out, ensure_ascii=False, indent=2), None)
    return 0


def _tenants(store: Store, args: argparse.Namespace) -> dict[str, Any]:
    if args.action == "add":
        tenant, token = store.add_tenant(args.name, args.callback_url, args.allowed_host or (), args.policy)
        return {"tenant": tenant.name, "webhook_secret": tenant.secret, "api_token": token,
                "callback_url": tenant.callback_url, "allowed_hosts": tenant.allowed_hosts, "policy": tenant.policy}
    if args.action == "rotate":
        tenant, token = store.rotate_tenant(args.name)
        return {"tenant": tenant.name, "webhook_secret": tenant.secret, "api_token": token}
    if args.action == "policy":
        return _tenant_policy(store, args)
    return {"tenants": [t.public() for t in store.list_tenants()]}


def _tenant_policy(store: Store, args: argparse.Namespace) -> dict[str, Any]:
    """Switch a store to a policy pack and/or set its override; refused unless the result is a valid policy."""
    from gate.core import policy as policy_mod

    tenant = store.get_tenant(args.name)
    if tenant is None:
        raise UsageError(f"no tenant {args.name}")
    pack = args.pack or tenant.policy
    override = tenant.policy_override
    if args.clear_override:
        override = {}
    if args.override:
        try:
            override = json.loads(Path(args.override).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read override {args.override}: {exc}") from None
    try:
        base = policy_mod.load(pack or "cn-default")
        effective = policy_mod.with_override(base, override, tenant.name) if override else base
    except policy_mod.PolicyError as exc:
        raise UsageError(str(exc)) from None
    fields: dict[str, Any] = {"policy": pack, "policy_override": override}
    if args.allowed_host is not None:
        fields["allowed_hosts"] = sorted({h.lower() for h in args.allowed_host})
    tenant = store.update_tenant(tenant.name, **fields)
    return {**tenant.public(), "effective_policy": {"name": effective.name, "version": effective.version}}


def _check_policy(name: str) -> None:
    """Refuse to start with a policy that does not load: the error names the file, line and reason."""
    from gate.core import policy as policy_mod

    try:
        policy_mod.load(name)
    except policy_mod.PolicyError as exc:
        raise UsageError(f"cannot start: {exc}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    from gate.cli.serve import serve
    from gate.service.settings import Settings

    settings = Settings.from_env()
    _check_policy(settings.policy)
    return serve(settings, args.host, args.port, args.workers)


def cmd_worker(args: argparse.Namespace) -> int:
    from gate.service.settings import Settings
    from workers.worker import run

    settings = Settings.from_env()
    if not settings.redis_url:
        raise UsageError("REDIS_URL is not set (gate serve sets it for its own workers)")
    _check_policy(settings.policy)
    run(settings, burst=args.burst)
    return 0


def cmd_reaper(args: argparse.Namespace) -> int:
    from gate.service.runtime import Runtime
    from gate.service.settings import Settings
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


def cmd_status(args: argparse.Namespace) -> int:
    from gate.service.queues import rq_connection
    from gate.service.status import as_text, status

    with _store() as store:
        doc = status(rq_connection(str(store.url)), store.active_builds())
    _write(json.dumps(doc, indent=2) if args.format == "json" else as_text(doc), None)
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from gate.cli.submit import submit

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
    scan.add_argument("--history", action="store_true",
                      help="read and record the package's history and the delisted registry in the store "
                           "(REDIS_URL, or the embedded one)")
    scan.add_argument("--tenant", default="cli", help="whose history --history uses (default: cli)")
    scan.set_defaults(func=cmd_scan)

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
    delist.set_defaults(func=cmd_delist)

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
    tpol = tsub.add_parser("policy", help="a store's policy pack, override (outcomes, settings, limits) and hosts")
    tpol.add_argument("name")
    tpol.add_argument("--pack", help="policy pack: cn-default, google-play, strict, or a policy file")
    tpol.add_argument("--override", metavar="FILE",
                      help='JSON: {"outcomes": {...}, "settings": {...}, "limits": {...}}')
    tpol.add_argument("--clear-override", action="store_true")
    tpol.add_argument("--allowed-host", action="append", metavar="HOST[:PORT]", help="replaces the allowed hosts")
    tenants.set_defaults(func=cmd_tenants)

    status = sub.add_parser("status", help="queues, workers, failed jobs and undecided builds (for operators)")
    status.add_argument("--format", choices=("json", "text"), default="text")
    status.set_defaults(func=cmd_status)

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

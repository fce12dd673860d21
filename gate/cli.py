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
from typing import NoReturn

from gate import __version__

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

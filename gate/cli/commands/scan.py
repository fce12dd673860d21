"""``gate scan APK``: the verdict for one APK, offline; exits with it (0 pass, 1 warn, 2 block)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from gate.cli import exits
from gate.cli.inputs import input_file
from gate.cli.output import write
from gate.cli.render import to_json, to_sarif, to_text, use_colour
from gate.core import policy as policy_mod
from gate.core.context import BuildContext
from gate.errors import UsageError

if TYPE_CHECKING:
    from gate.core.model import Verdict
    from gate.core.policy import Policy


def run(args: argparse.Namespace) -> int:
    apk = input_file(args.apk, "an APK file")
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
    if args.format == "json":
        text = to_json(verdict)
    elif args.format == "sarif":
        text = to_sarif(verdict, apk.name)
    else:
        text = to_text(verdict, colour=not args.out and use_colour(sys.stdout))
    write(text, args.out)
    return exits.BY_VERDICT[verdict.verdict]


def _scan(args: argparse.Namespace, ctx: BuildContext, policy: Policy) -> Verdict:
    # The imports below are deliberately late: the analysis code loads while the prefetch child verifies
    # the signatures; marshmallow only when there is a listing to read; Redis only with --history.
    from gate.core.scan import scan_context

    if args.listing:
        from gate.core import listing as listing_mod

        try:
            ctx.listing = listing_mod.load_file(args.listing)
        except listing_mod.ListingError as exc:
            raise UsageError(str(exc)) from None
    try:
        if args.history:
            from gate.cli.connect import record as configured_record
            from gate.core import waivers
            from gate.record.repository import RecordHistory

            with configured_record(may_create=True) as store:
                if store.get_tenant(args.tenant) is None:
                    if args.tenant != "cli":
                        raise UsageError(f"no tenant {args.tenant} in the record (gate tenants add)")
                    # the CLI's own history: a tenant the service never calls back (no store behind it)
                    store.add_tenant("cli", "http://127.0.0.1/")
                    store.update_tenant("cli", callback_disabled=True)
                history = RecordHistory(store, args.tenant)
                ctx.history = history
                verdict = scan_context(ctx, policy)
                # the store's waivers, looked up and applied as the service's worker does: a waived finding is
                # info in every format, the exit status included, and in the history this run adds
                verdict = waivers.apply_to_verdict(
                    verdict, waivers.store_waivers(history, verdict.app.package, ctx.listing))
                if verdict.app.package:
                    store.append_history(args.tenant, verdict.app.package, f"cli-{verdict.app.sha256[:16]}",
                                         verdict.to_dict())
        else:
            verdict = scan_context(ctx, policy)
    except OSError as exc:
        raise UsageError(f"cannot read {ctx.path}: {exc.strerror or exc}") from None
    return verdict

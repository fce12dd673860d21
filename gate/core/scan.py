"""Analyse one APK: context → checks → policy → verdict. The CLI and the RQ workers both call this."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gate import __version__
from gate.core import history as hist
from gate.core.context import BuildContext
from gate.core.model import AppInfo, Certificate, Verdict
from gate.core.policy import Policy, decide
from gate.core.runner import CheckSpec, run

if TYPE_CHECKING:
    from gate.core.history import History
    from gate.core.listing import Listing


def preload() -> None:
    """Import everything a scan needs, for long-lived processes (RQ workers) that fork per job or per
    signature check: the forks inherit it instead of importing it again. A one-shot CLI run skips this,
    so its signature verifier (and cryptography) is imported only in the child that uses it."""
    import checks
    import gate.apk.apksig  # noqa: F401
    import gate.apk.axml  # noqa: F401
    from gate.core.sdks import catalogue, sensitive_apis

    checks.discover()
    catalogue()
    sensitive_apis()


def _app_info(ctx: BuildContext) -> AppInfo:
    manifest = ctx.peek_manifest()
    report = ctx.peek_signature()
    certs = tuple(Certificate(sha256=c.sha256, subject=c.subject) for c in report.certificates) if report else ()
    return AppInfo(
        sha256=ctx.sha256, size=ctx.size,
        package=manifest.package if manifest else None,
        version_code=manifest.version_code if manifest else None,
        version_name=manifest.version_name if manifest else None,
        min_sdk=manifest.min_sdk if manifest else None,
        target_sdk=manifest.target_sdk if manifest else None,
        certificates=certs,
    )


def scan(path: str | os.PathLike[str], policy: Policy, listing: Listing | None = None,
         checks: Sequence[CheckSpec] | None = None, history: History | None = None) -> Verdict:
    """The verdict for one APK file under ``policy``. Never raises for a bad APK.

    With ``history`` (the package's earlier versions at this store, and the delisted registry) the
    history rules apply and the verdict carries a ``diff`` against the previous version.
    """
    return scan_context(BuildContext(path, listing, policy.limits, history), policy, checks)


def scan_context(ctx: BuildContext, policy: Policy, checks: Sequence[CheckSpec] | None = None) -> Verdict:
    """The verdict for the upload of ``ctx`` under ``policy``; the caller made the context itself: the CLI
    makes it, and starts its signature work, before importing the analysis code. The context is closed when
    this returns."""
    if checks is None:
        from checks import discover

        checks = discover()
    started = time.perf_counter()
    history = ctx.history
    try:
        result = run(ctx, checks, policy)
        app = _app_info(ctx)
    finally:
        ctx.close()
    findings = decide(result.findings, policy)
    changes = None
    if history is not None and app.package:
        earlier = history.versions(app.package)
        changes = hist.diff([f.to_dict() for f in findings], earlier[-1] if earlier else None)
    # The inventory is a fact the PI-SDK-INVENTORY check returns; a verdict never triggers analysis itself.
    sdks = list(result.facts.get("sdks", ()))
    return Verdict(
        app=app, findings=tuple(findings), policy_name=policy.name, policy_version=policy.version,
        gate_version=__version__, analysis_ms=int((time.perf_counter() - started) * 1000),
        sdks=tuple(sdks), checks=tuple(result.runs), diff=changes,
    )

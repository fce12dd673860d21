"""What the web side and the workers share: connections, the public verdict shape, finalising a build.

Two stores: ``record`` (SQL: tenants, builds, verdicts, findings, history, deliveries, delisted entries, kept
for as long as the retention setting says) and ``store`` (Redis: only what is in flight - the queues, webhook-id
claims, rate limits, locks and metric counters, each key with a TTL or bounded by its labels).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import redis

from gate import __version__
from gate.core import policy as policy_mod
from gate.core.model import AppInfo, Evidence, Finding, Verdict
from gate.core.policy import Policy, decide
from gate.core.times import iso_utc
from gate.errors import ConfigError
from gate.record.build import FIELDS, Build
from gate.record.repository import Record
from gate.record.store import Store, Tenant
from gate.service.metrics import Metrics, RedisCollector
from gate.service.queues import WORKER_QUEUES, enqueue_callback, rq_connection
from gate.service.review_sessions import ReviewSessions, SignInLimiter
from gate.service.settings import Settings


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def store(self) -> Store:
        if not self.settings.redis_url:
            raise ConfigError("REDIS_URL is not set")
        return Store.from_url(self.settings.redis_url, self.settings.key_prefix)

    @cached_property
    def record(self) -> Record:
        """The record (DATABASE_URL, else the SQLite file under the data directory), its schema brought to the
        newest revision first, as `gate migrate` does; an older Redis-only store found beside an empty
        record is imported once (gate.record.importer)."""
        return open_record(self.settings)

    def build(self, build_id: str) -> Build | None:
        row = self.record.get_build(build_id) if build_id.startswith("b_") and len(build_id) < 64 else None
        return Build.from_row(row) if row else None

    def update_build(self, build_id: str, **fields: Any) -> None:
        """Set some fields of a build (names and values as in ``Build``; another name is refused)."""
        unknown = set(fields) - FIELDS
        if unknown:
            raise ValueError(f"not fields of a build: {sorted(unknown)}")
        self.record.update_build(build_id, **fields)

    def build_by_page_token(self, token: str) -> Build | None:
        row = self.record.build_by_page_token(token)
        return Build.from_row(row) if row else None

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics(self.store.r, self.settings.key_prefix)

    @cached_property
    def rq(self) -> redis.Redis:
        if not self.settings.redis_url:
            raise ConfigError("REDIS_URL is not set")
        return rq_connection(self.settings.redis_url)

    def collector(self) -> RedisCollector:
        """The Prometheus collector that reads the queues and the store's counters at scrape time."""
        return RedisCollector(self.store.r, self.rq, self.settings.key_prefix, WORKER_QUEUES,
                              record_gauges=self.record.gauges)

    def review_sessions(self) -> ReviewSessions:
        """The review desk's signed-in sessions (Redis, idle TTL): the web reaches them here, not through Redis."""
        return ReviewSessions(self.store.r, self.settings.key_prefix)

    def sign_in_limiter(self) -> SignInLimiter:
        """The review desk's failed sign-ins per name and address (Redis, a window's TTL)."""
        return SignInLimiter(self.store.r, self.settings.key_prefix)

    def policy_for(self, tenant: Tenant | None) -> Policy:
        """The tenant's effective policy: its pack (or the service default) with its override applied."""
        base = policy_mod.load((tenant.policy if tenant else None) or self.settings.policy)
        if tenant is not None and tenant.policy_override:
            return policy_mod.with_override(base, tenant.policy_override, tenant.name)
        return base


def open_record(settings: Settings) -> Record:
    from gate.record.db import current_revision, head_revision, upgrade

    record = Record.from_url(settings.record_url)
    if current_revision(record.engine) != head_revision():
        try:
            upgrade(record.engine)
        except Exception:  # noqa: BLE001 - another process (a worker starting alongside) may have just done it
            if current_revision(record.engine) != head_revision():
                raise
    if settings.redis_url:
        _import_old_store(record, settings)
    return record


def _import_old_store(record: Record, settings: Settings) -> None:
    """The one-time import of a Redis-only store (the gate before the record): only when the record holds no
    tenant yet and Redis holds the old tenant set. `gate migrate` does the same, reporting the counts."""
    if record.list_tenants():
        return
    import redis as redis_mod

    from gate.record.importer import already_imported, import_redis

    client = redis_mod.Redis.from_url(settings.redis_url or "", decode_responses=True)
    try:
        if already_imported(record) or not client.exists(settings.key_prefix + "tenants"):
            return
        counts = import_redis(client, record, settings.key_prefix)
        logging.getLogger(__name__).warning("imported the Redis store into the record: %s", counts)
    except redis_mod.RedisError:
        return  # Redis down at start: the next start (or `gate migrate`) imports it
    finally:
        client.close()


def verdict_url(settings: Settings, build: Build) -> str:
    return f"{settings.public_url}/v/{build.verdict_token}"


def status_url(settings: Settings, build: Build) -> str:
    return f"{settings.public_url}/api/v1/builds/{build.build_id}"


def public_build(settings: Settings, build: Build, *, deliveries: list[dict[str, Any]] | None = None,
                 review: bool = False) -> dict[str, Any]:
    """The build as the API and the callback show it: the verdict (when decided) plus the build fields; with
    ``review`` (the API) also its ``review_status`` once decided."""
    out: dict[str, Any] = dict(build.verdict or {})
    out.update({
        "build_id": build.build_id,
        "tenant": build.tenant,
        "platform_build_id": build.platform_build_id or None,
        "status": build.status,
        "received_at": iso_utc(build.received_at),
        "decided_at": iso_utc(build.decided_at),
        "verdict_url": verdict_url(settings, build),
    })
    listing = build.listing
    if isinstance(listing, dict):
        raw_developer = listing.get("developer")
        developer: dict[str, Any] = raw_developer if isinstance(raw_developer, dict) else {}
        out["listing"] = {"app_name": listing.get("app_name"), "category": listing.get("category"),
                          "developer": developer.get("name")}
    if deliveries is not None:
        out["callback_attempts"] = deliveries
    if review and build.decided:
        out["review_status"] = build.review_status
    return out


def failure_verdict(build: Build, policy: Policy, rule_id: str, message: str, message_zh: str, *,
                    analysis_ms: int = 0) -> dict[str, Any]:
    """A verdict for a build the gate could not analyse, so the store still gets an answer."""
    finding = Finding(rule_id=rule_id, message=message, message_zh=message_zh,
                      evidence=(Evidence("file", build.apk_name or "upload", "(build)"),),
                      remediation="Check that the artifact URL, its size and its SHA-256 are right and that the "
                                  "store can reach it, then send the build again.",
                      remediation_zh="请确认构建产物的 URL、大小和 SHA-256 正确且应用商店可以访问，"
                                     "然后重新提交此版本。")
    if rule_id == "GATE-CHECK-FAILED":
        finding = Finding(rule_id=rule_id, message=message, evidence=finding.evidence, message_zh=message_zh,
                          remediation="Nothing for the app developer to change: the gate could not finish the "
                                      "analysis. Resubmit the build; operators see the worker log.",
                          remediation_zh="开发者无需修改：审核系统未能完成分析。"
                                         "请重新提交此版本；运维人员可查看 worker 日志。")
    verdict = Verdict(
        app=AppInfo(sha256=build.apk_sha256 or "0" * 64, size=build.apk_size),
        findings=tuple(decide([finding], policy)), policy_name=policy.name, policy_version=policy.version,
        gate_version=__version__, analysis_ms=analysis_ms,
    )
    return verdict.to_dict()


def finalize(rt: Runtime, build: Build, status: str, verdict: dict[str, Any], *,
             reason: str = "analysed") -> bool:
    """Store the decision in the record (verdict, findings, history entry, review status: one transaction),
    then queue its callback, count it, drop the APK. False if already decided. (A crash or a Redis outage
    between the decision and its callback job leaves a decided build with no delivery attempt: the reaper's
    sweep of those queues the callback, so there is never a decision without a callback.)"""
    if not rt.record.finalize(build.build_id, status, verdict):
        return False
    try:
        job = enqueue_callback(rt.rq, rt.settings, build.build_id)
        rt.update_build(build.build_id, callback_job_id=job.id)
    except redis.RedisError as exc:
        logging.getLogger(__name__).warning("build %s decided; its callback waits for the reaper (Redis %s)",
                                            build.build_id, type(exc).__name__)
    m = rt.metrics
    m.safe_inc("gate_verdicts_total", outcome=verdict.get("verdict", "block"))
    for f in verdict.get("findings", []):
        m.safe_inc("gate_findings_total", rule_id=f["rule_id"], outcome=f.get("outcome") or "info")
    if status == "failed":
        m.safe_inc("gate_builds_failed_total", reason=reason)
    path = build.apk_path
    if path and not rt.settings.keep_apks:
        Path(path).unlink(missing_ok=True)
    return True

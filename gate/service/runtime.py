"""What the web side and the workers share: connections, the public verdict shape, finalising a build."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import redis

from gate import __version__
from gate.core import policy as policy_mod
from gate.core.model import AppInfo, Evidence, Finding, Verdict
from gate.core.policy import Policy, decide
from gate.errors import ConfigError
from gate.record.build import Build
from gate.record.repository import Record
from gate.record.store import Store, Tenant
from gate.service.metrics import Metrics, RedisCollector
from gate.service.queues import WORKER_QUEUES, enqueue_callback, rq_connection
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
        newest revision first, as `gate migrate` does."""
        from gate.record.db import current_revision, head_revision, upgrade

        record = Record.from_url(self.settings.record_url)
        if current_revision(record.engine) != head_revision():
            try:
                upgrade(record.engine)
            except Exception:  # noqa: BLE001 - another process (a worker starting alongside) may have just done it
                if current_revision(record.engine) != head_revision():
                    raise
        return record

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
        return RedisCollector(self.store.r, self.rq, self.settings.key_prefix, WORKER_QUEUES)

    def policy_for(self, tenant: Tenant | None) -> Policy:
        """The tenant's effective policy: its pack (or the service default) with its override applied."""
        base = policy_mod.load((tenant.policy if tenant else None) or self.settings.policy)
        if tenant is not None and tenant.policy_override:
            return policy_mod.with_override(base, tenant.policy_override, tenant.name)
        return base


def verdict_url(settings: Settings, build: Build) -> str:
    return f"{settings.public_url}/v/{build.verdict_token}"


def status_url(settings: Settings, build: Build) -> str:
    return f"{settings.public_url}/api/v1/builds/{build.build_id}"


def _iso(ts: float | None) -> str | None:
    if not ts:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def public_build(settings: Settings, build: Build, *, deliveries: list[dict[str, Any]] | None = None
                 ) -> dict[str, Any]:
    """The build as the API and the callback show it: the verdict (when decided) plus the build fields."""
    out: dict[str, Any] = dict(build.verdict or {})
    out.update({
        "build_id": build.build_id,
        "tenant": build.tenant,
        "platform_build_id": build.platform_build_id or None,
        "status": build.status,
        "received_at": _iso(build.received_at),
        "decided_at": _iso(build.decided_at),
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
    """Store the decision and queue its callback in one Redis transaction, count it, drop the APK. False if
    already decided. (A crash or a Redis outage at any point leaves either an undecided build, which the
    reaper answers, or a decided one with its callback job; never a decision without a callback.)"""

    def _callback(pipe: Any) -> None:
        job = enqueue_callback(rt.rq, rt.settings, build.build_id, pipeline=pipe)
        rt.store.note_callback_job(pipe, build.build_id, job.id)

    if not rt.store.finalize(build.build_id, status, verdict, also=_callback):
        return False
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

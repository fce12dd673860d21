"""RQ jobs: analyse a build (exactly the code of `gate scan`) and deliver its callback.

The jobs run in RQ's forked work horse and read their settings from the environment. An analysis never
ends in silence: an exception or RQ's job timeout inside the job becomes a `failed` build with a
GATE-CHECK-FAILED verdict; a work horse that dies is retried once by RQ, then the reaper answers.
"""

from __future__ import annotations

import logging
import resource
import time
from functools import cache
from pathlib import Path

from rq import get_current_job
from rq.timeouts import JobTimeoutException

from gate.core import listing as listing_mod
from gate.core import waivers
from gate.core.scan import scan
from gate.errors import GateError
from gate.record.build import FINAL, Build
from gate.record.repository import RecordHistory
from gate.service.artifact import ArtifactError, fetch
from gate.service.runtime import Runtime, failure_verdict, finalize, public_build
from gate.service.settings import Settings
from webhooks.outbound import DeliveryFailed, send

log = logging.getLogger(__name__)


# raised (through webhooks.outbound.send) so that RQ schedules a callback's next retry
CallbackFailed = DeliveryFailed


class ApkLost(GateError):
    """The uploaded APK is gone from the worker's disk (a volume lost between intake and analysis)."""


@cache
def runtime() -> Runtime:
    return Runtime(Settings.from_env())


def analyse_build(build_id: str) -> str:
    rt = runtime()
    build = rt.build(build_id)
    if build is None:
        return "unknown build"
    if build.status in FINAL:
        return f"already {build.status}"
    tenant = rt.record.get_tenant(build.tenant)
    policy = rt.policy_for(tenant)
    rt.record.mark_running(build_id)
    _limit_memory(rt.settings.job_memory_bytes)
    started = time.perf_counter()
    try:
        path = _apk_path(rt, build, tenant.allowed_hosts if tenant else [])
        listing = listing_mod.load(build.listing) if build.listing else None
        history = RecordHistory(rt.record, build.tenant, build.apk_sha256)
        scanned = scan(path, policy, listing, history=history)
        # the store's waivers, looked up and applied as `gate scan --history` does
        verdict = waivers.apply_to_verdict(scanned, waivers.store_waivers(history, scanned.app.package,
                                                                           listing)).to_dict()
        status, reason = "done", "analysed"
    except ArtifactError as exc:
        if not exc.permanent and (get_current_job() or _NoJob()).retries_left:
            raise  # RQ retries: the network may come back
        verdict = failure_verdict(build, policy, "PKG-UNREADABLE", f"The build's artifact could not be used: {exc}.",
                                  f"无法使用此版本的构建产物：{exc}。")
        status, reason = "failed", "artifact"
    except Exception as exc:  # noqa: BLE001 - includes RQ's JobTimeoutException: always answer the store
        if isinstance(exc, MemoryError):
            cap = f"{rt.settings.job_memory_bytes >> 20:,} MiB"
            message = (f"The analysis did not finish: it ran out of memory (the job's cap is {cap}, "
                       "GATE_JOB_MEMORY_BYTES)")
            message_zh = f"分析未能完成：内存不足（任务内存上限为 {cap}，GATE_JOB_MEMORY_BYTES）"
        elif isinstance(exc, GateError):  # the gate's own, explained refusal: its text is meant to be read
            message = f"The analysis did not finish: {exc}"
            message_zh = f"分析未能完成：{exc}"
        elif isinstance(exc, JobTimeoutException):
            message = f"The analysis did not finish within the job's time limit ({rt.settings.job_timeout_s} s)"
            message_zh = f"分析未能在任务时限（{rt.settings.job_timeout_s} 秒）内完成"
        else:
            # A bug or an unforeseen failure: its text (paths, internals) stays in the worker log, never in
            # the verdict a store and a developer read.
            log.exception("analysis of build %s failed", build_id)
            message = f"The analysis did not finish: an internal error ({type(exc).__name__}) stopped it"
            message_zh = f"分析未能完成：内部错误（{type(exc).__name__}）"
        verdict = failure_verdict(build, policy, "GATE-CHECK-FAILED", message + ".", message_zh + "。",
                                  analysis_ms=int((time.perf_counter() - started) * 1000))
        status, reason = "failed", type(exc).__name__
    rt.metrics.observe("gate_analysis_duration_seconds", time.perf_counter() - started)
    finalize(rt, build, status, verdict, reason=reason)
    return f"{status}: {verdict.get('verdict')}"


def _limit_memory(max_bytes: int) -> None:
    """Cap the work horse's address space: an APK built to exhaust memory fails its own job, not the host.

    The horse is forked for this one job and exits after it, so the limit dies with it.
    """
    if max_bytes > 0:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class _NoJob:
    retries_left = 0


def _apk_path(rt: Runtime, build: Build, allowed: list[str]) -> Path:
    if build.apk_path and Path(build.apk_path).is_file():
        return Path(build.apk_path)
    artifact = build.artifact
    if not artifact:
        raise ApkLost("the build's APK is no longer on disk and it came with no artifact URL to fetch it again")
    dest = rt.settings.apk_dir / f"{build.build_id}.apk"
    size = fetch(artifact["url"], dest, allowed=allowed, sha256=artifact["sha256"], size=artifact.get("size"),
                 max_bytes=rt.settings.max_upload_bytes, timeout_s=rt.settings.artifact_timeout_s)
    rt.update_build(build.build_id, apk_path=str(dest), apk_size=size, apk_sha256=artifact["sha256"])
    build.apk_path = str(dest)
    return dest


def deliver_callback(build_id: str, reason: str = "verdict") -> str:
    """The build's verdict to its store (``build.verdict``), signed, retried by RQ (webhooks.outbound.send)."""
    rt = runtime()
    build = rt.build(build_id)
    if build is None:
        return "unknown build"
    result = send(rt, build.tenant, build_id, {"type": "build.verdict", "data": public_build(rt.settings, build)},
                  reason=reason)
    if result == "delivered" and build.received_at:
        rt.metrics.observe("gate_accepted_to_callback_seconds", time.time() - build.received_at)
    return result


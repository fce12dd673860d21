"""Signed events to a store's callback URL: sign, POST, classify the answer, record the attempt.

The Standard Webhooks signature with the tenant's secret; a 2xx is delivered, 410 stops the store's endpoint
(no further retries), anything else raises ``DeliveryFailed`` so that RQ schedules the next retry. Every
attempt is a delivery record of the build in the record, visible through the API.

Both events go through here: ``build.verdict`` (workers/jobs.deliver_callback) and ``build.decision``
(workers/decisions.deliver_decision). A failed attempt is one log line (build, attempt, next retry, reason);
the worker logs no traceback for ``DeliveryFailed`` (workers/worker.GateWorker).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests
from rq import get_current_job

from gate.errors import GateError
from gate.service import webhook_signing
from gate.service.runtime import Runtime

log = logging.getLogger(__name__)


class DeliveryFailed(GateError):
    """Raised so that RQ schedules the next retry; ``final`` when this attempt was the last one."""

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


def send(rt: Runtime, tenant_name: str, build_id: str, event: dict[str, Any], *, reason: str) -> str:
    """POST ``event`` to the tenant's callback URL; returns delivered, gone or skipped, or raises DeliveryFailed."""
    tenant = rt.record.get_tenant(tenant_name)
    job = get_current_job()
    attempt: dict[str, Any] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "reason": reason,
                               "type": event.get("type"), "url": tenant.callback_url if tenant else None}
    if tenant is None or tenant.callback_disabled:
        attempt.update(result="skipped", error="the store's callback endpoint answered 410 Gone earlier; "
                                               "deliveries are stopped until it is re-enabled")
        rt.record.record_delivery(build_id, attempt)
        rt.metrics.safe_inc("gate_callback_deliveries_total", result="skipped")
        return "skipped"
    body = json.dumps(event, ensure_ascii=False).encode()
    # one message id per event, the same on every retry, so the store can drop a repeat
    # (the verdict's id is msg_<build>, as it always was; other events add their type)
    kind = event.get("type", "event")
    message_id = f"msg_{build_id}" if kind == "build.verdict" else f"msg_{build_id}_{kind}"
    headers = webhook_signing.headers(tenant.secret, message_id, body)
    headers["content-type"] = "application/json"
    headers["user-agent"] = "listing-gate"
    started = time.perf_counter()
    try:
        resp = requests.post(tenant.callback_url, data=body, headers=headers, timeout=rt.settings.callback_timeout_s,
                             allow_redirects=False)
        code: int | None = resp.status_code
        error = None if 200 <= resp.status_code < 300 else f"HTTP {resp.status_code}"
    except requests.RequestException as exc:
        code, error = None, network_reason(exc)
    attempt.update(status_code=code, ms=int((time.perf_counter() - started) * 1000),
                   retries_left=job.retries_left if job else None)
    if code is not None and 200 <= code < 300:
        attempt["result"] = "delivered"
        rt.record.record_delivery(build_id, attempt)
        rt.metrics.safe_inc("gate_callback_deliveries_total", result="delivered")
        return "delivered"
    if code == 410:
        attempt.update(result="gone", error="HTTP 410: the store's endpoint is gone; no further retries")
        rt.record.record_delivery(build_id, attempt)
        rt.record.update_tenant(tenant.name, callback_disabled=True)
        rt.metrics.safe_inc("gate_callback_deliveries_total", result="gone")
        return "gone"
    final = not (job and job.retries_left)
    attempt.update(result="gave_up" if final else "retrying", error=error)
    rt.record.record_delivery(build_id, attempt)
    rt.metrics.safe_inc("gate_callback_deliveries_total", result="failed")
    log.warning("%s", attempt_line(build_id, tenant.name, error or "no answer", job))
    raise DeliveryFailed(f"{event.get('type')} callback to {tenant.name} failed: {error}", final=final)


def attempt_line(build_id: str, tenant: str, reason: str, job: Any) -> str:
    """"callback for build b_1 (store-a): attempt 2 of 7 failed (ConnectionError: Connection refused); next
    retry in 60 s", or "...; no retries left" after the last one."""
    retries_left = getattr(job, "retries_left", None) or 0
    intervals = list(getattr(job, "retry_intervals", None) or [])
    total = len(intervals) + 1
    number = total - retries_left
    then = f"next retry in {job.get_retry_interval()} s" if retries_left else "no retries left"
    return f"callback for build {build_id} ({tenant}): attempt {number} of {total} failed ({reason}); {then}"


def network_reason(exc: BaseException) -> str:
    """The exception's name and the operating system's reason underneath it, if any: "ConnectionError:
    Connection refused", "ReadTimeout"; never the whole chain of wrapped exceptions."""
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return f"{type(exc).__name__}: {current.strerror}"
        stack += [current.__cause__, current.__context__, getattr(current, "reason", None),
                  *(a for a in current.args if isinstance(a, BaseException))]
    return type(exc).__name__

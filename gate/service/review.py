"""The review desk's service side: decisions on pending builds and the store's waivers (interface.md section 8).

The API (the store's token) and the review pages (a signed-in reviewer) both come through here, so a rule holds
the same way on both: a decision needs a reason; approving a `block` verdict (an override) needs a second,
different reviewer with the senior or admin role when the tenant's policy asks it ([review]
second_reviewer_for_block); every decision and waiver change is written with its audit row in one transaction
(gate.record.repository); a decision queues the signed ``build.decision`` callback.

On the pages an override is two steps: the first reviewer's request is an audit row
(``build.override_requested``), and a senior's confirmation decides the build with both names.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from gate.core import history as hist
from gate.core import reference
from gate.core import waivers as waivers_mod
from gate.core.times import iso_utc, parse_instant
from gate.errors import GateError
from gate.record.models import IDENTIFIED_BY, REVIEW_SESSION, STORE_TOKEN
from gate.record.repository import DECISIONS, RecordError
from gate.service.queues import enqueue_decision_callback
from gate.service.runtime import Runtime

log = logging.getLogger(__name__)

SENIOR_ROLES = ("senior", "admin")
OVERRIDE_REQUESTED = "build.override_requested"


class ReviewError(GateError, ValueError):
    """A refused review action; ``status`` is the HTTP status that says why (404, 409 or 422)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


def own_build(rt: Runtime, tenant: str | None, build_id: str) -> dict[str, Any]:
    """The build, if it is ``tenant``'s (any tenant's with None: a reviewer on the pages); else 404."""
    build = rt.record.get_build(build_id) if build_id.startswith("b_") and len(build_id) < 64 else None
    if build is None or (tenant is not None and build["tenant"] != tenant):
        raise ReviewError(404, f"no build {build_id}" + (" for this store" if tenant else ""))
    return build


def _review_settings(rt: Runtime, tenant: str) -> dict[str, bool]:
    """The [review] settings of the policy of this store."""
    return rt.policy_for(rt.record.get_tenant(tenant)).review


def second_needed(rt: Runtime, build: Mapping[str, Any], decision: str) -> bool:
    """Whether this decision overrides a block under a policy that asks for a second reviewer."""
    if decision != "approve" or build.get("outcome") != "block":
        return False
    return bool(_review_settings(rt, build["tenant"]).get("second_reviewer_for_block"))


def _account(rt: Runtime, name: str) -> dict[str, Any] | None:
    return next((r for r in rt.record.reviewers() if r["name"] == name), None)


def _check_second(rt: Runtime, reviewer: str, second: str | None) -> None:
    if not second or not second.strip():
        raise ReviewError(422, "approving a blocked build needs a second reviewer (senior or admin) under this "
                               "store's policy", "second_reviewer")
    if second.strip() == reviewer.strip():
        raise ReviewError(422, "the second reviewer is someone other than the first", "second_reviewer")
    account = _account(rt, second.strip())
    if account is None or account["disabled"] or account["role"] not in SENIOR_ROLES:
        raise ReviewError(422, f"the second reviewer must be an enabled reviewer account with the senior or admin "
                               f"role ({second.strip()!r} is not)", "second_reviewer")


def _check_named(rt: Runtime, tenant: str, name: str, identified_by: str, field: str) -> None:
    """Under a policy with [review] api_reviewer_must_be_account, a name the store gave with its API token
    (STORE_TOKEN) must be an enabled reviewer account: 422 naming ``field`` otherwise."""
    if identified_by not in IDENTIFIED_BY:
        raise ValueError(f"identified_by is one of {', '.join(IDENTIFIED_BY)}, not {identified_by!r}")
    if identified_by == STORE_TOKEN and _review_settings(rt, tenant).get("api_reviewer_must_be_account"):
        account = _account(rt, name.strip())
        if account is None or account["disabled"]:
            raise ReviewError(422, f"under this store's policy a {field} named through the API must be an enabled "
                                   f"reviewer account ({name.strip()!r} is not)", field)


def decide(rt: Runtime, tenant: str | None, build_id: str, decision: str, reason: str, reviewer: str, *,
           identified_by: str, second_reviewer: str | None = None) -> dict[str, Any]:
    """Approve or reject a pending build; queues the ``build.decision`` callback. Returns the decision.

    ``identified_by`` says how the caller knows the reviewer: REVIEW_SESSION (signed in on the review pages) or
    STORE_TOKEN (a name the store gave with its API token, which vouches for the store, not for the name). It is
    kept on the decision and its audit row; under a policy with [review] api_reviewer_must_be_account a name
    given with the store's token must be an enabled reviewer account (422 naming ``reviewer``)."""
    build = own_build(rt, tenant, build_id)
    if decision not in DECISIONS:
        raise ReviewError(422, "decision is approve or reject", "decision")
    if not reason or not reason.strip():
        raise ReviewError(422, "a decision needs a reason", "reason")
    if not reviewer or not reviewer.strip():
        raise ReviewError(422, "a decision names its reviewer", "reviewer")
    _check_named(rt, build["tenant"], reviewer, identified_by, "reviewer")
    if build.get("review_status") != "pending":
        raise ReviewError(409, f"build {build_id} is not waiting for review (it is "
                               f"{build.get('review_status') or build.get('status')})")
    needs_second = second_needed(rt, build, decision)
    if needs_second:
        _check_second(rt, reviewer, second_reviewer)
    try:
        out = rt.record.decide(build_id, decision, reason, reviewer.strip(),
                               second_reviewer=second_reviewer.strip() if needs_second and second_reviewer else None,
                               second_for_block=needs_second, identified_by=identified_by)
    except RecordError as exc:  # another reviewer decided it in between
        raise ReviewError(409, str(exc)) from None
    try:
        job = enqueue_decision_callback(rt.rq, rt.settings, build_id)
    except redis.RedisError as exc:
        # the decision stands (it is in the record and the audit log); the answer says its callback is not queued
        # yet: the reaper queues it once Redis is back (workers.reaper._decision_callbacks)
        log.warning("build %s decided; its build.decision callback was not queued (Redis %s); the reaper will "
                    "queue it", build_id, type(exc).__name__)
        out["callback"] = {"status": "not_queued", "error": f"Redis {type(exc).__name__}"}
    else:
        rt.record.set_decision_callback(build_id, job_id=job.id)
        out["callback"] = {"status": "queued", "job_id": job.id}
    return out


def request_override(rt: Runtime, build_id: str, reason: str, reviewer: str) -> dict[str, Any]:
    """The first step of an override on the pages (a signed-in reviewer): recorded, shown to seniors, decided by
    one of them."""
    build = own_build(rt, None, build_id)
    if not reason.strip():
        raise ReviewError(422, "a decision needs a reason", "reason")
    if build.get("review_status") != "pending":
        raise ReviewError(409, f"build {build_id} is not waiting for review")
    data = {"reason": reason.strip(), "reviewer": reviewer, "reviewer_identified_by": REVIEW_SESSION}
    rt.record.append_audit(reviewer, OVERRIDE_REQUESTED, "build", build_id, build["tenant"], data)
    return data


def override_request(rt: Runtime, build_id: str) -> dict[str, Any] | None:
    """The open override request of a pending build (the latest), or None."""
    rows = rt.record.audit_log(subject_kind="build", subject_id=build_id)
    requests = [r for r in rows if r["action"] == OVERRIDE_REQUESTED]
    return {**requests[-1]["data"], "at": requests[-1]["at"]} if requests else None


def decision_event(rt: Runtime, build_id: str) -> dict[str, Any] | None:
    """The ``build.decision`` callback body of the build's latest decision."""
    build = rt.record.get_build(build_id)
    decisions = rt.record.decisions(build_id)
    if build is None or not decisions:
        return None
    last = decisions[-1]
    return {"type": "build.decision", "data": {
        "build_id": build_id, "decision": last["decision"], "reason": last["reason"], "reviewer": last["reviewer"],
        "reviewer_identified_by": last["reviewer_identified_by"], "decided_at": iso_utc(last["decided_at"]),
        "verdict": build.get("outcome"),
        "review_status": build.get("review_status"), "tenant": build["tenant"],
        "platform_build_id": build.get("platform_build_id"),
        "verdict_url": f"{rt.settings.public_url}/v/{build['verdict_token']}"}}


# -- waivers -----------------------------------------------------------------------------------------------------

def parse_time(value: Any, field: str) -> float | None:
    """None, unix seconds, or an ISO 8601 date or time (UTC unless it says otherwise) -> unix seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return parse_instant(value)
        except ValueError:
            pass
    raise ReviewError(422, f"{field} is an ISO 8601 date or time (e.g. 2027-06-30) or unix seconds", field)


@dataclass(frozen=True)
class WaiverRequest:
    rule_id: str
    reason: str
    package: str | None = None
    developer: str | None = None
    evidence_match: str | None = None
    expires_at: float | None = None


def add_waiver(rt: Runtime, tenant: str, request: WaiverRequest, author: str, *,
               identified_by: str) -> dict[str, Any]:
    """Adds the store's waiver. ``identified_by`` says how the caller knows the author, as for a decision
    (REVIEW_SESSION or STORE_TOKEN): kept on the waiver (``author_identified_by``) and its audit row; under a
    policy with [review] api_reviewer_must_be_account an author named with the store's token must be an enabled
    reviewer account (422 naming ``author``)."""
    if request.rule_id not in reference.rules():
        raise ReviewError(422, f"unknown rule id {request.rule_id!r}", "rule_id")
    if bool(request.package) == bool(request.developer):
        raise ReviewError(422, "a waiver names a package or a developer (one of them)", "package")
    if not request.reason.strip():
        raise ReviewError(422, "a waiver needs a reason", "reason")
    if request.expires_at is not None and request.expires_at <= time.time():
        raise ReviewError(422, "a waiver's expiry is in the future", "expires_at")
    if not author or not author.strip():
        raise ReviewError(422, "a waiver names its author", "author")
    _check_named(rt, tenant, author, identified_by, "author")
    try:
        return rt.record.add_waiver(tenant, request.rule_id, request.reason, author.strip(), package=request.package,
                                    developer=request.developer, evidence_match=request.evidence_match or None,
                                    expires_at=request.expires_at, identified_by=identified_by)
    except RecordError as exc:
        raise ReviewError(422, str(exc)) from None


def revoke_waiver(rt: Runtime, tenant: str | None, waiver_id: int, actor: str, *,
                  identified_by: str, named: bool = True) -> dict[str, Any]:
    """Ends the store's waiver; ``identified_by`` as for ``add_waiver`` (kept as ``revoked_by_identified_by``).
    ``named`` is False when the store's API call named nobody and ``actor`` stands for the store itself
    (``api:STORE``): no person is claimed, so [review] api_reviewer_must_be_account has no name to check."""
    waiver = rt.record.get_waiver(waiver_id)
    if waiver is None or (tenant is not None and waiver["tenant"] != tenant) or waiver["revoked_at"] is not None:
        raise ReviewError(404, f"no active waiver {waiver_id}" + (" for this store" if tenant else ""))
    if named:
        _check_named(rt, waiver["tenant"], actor, identified_by, "actor")
    rt.record.revoke_waiver(waiver_id, actor, identified_by=identified_by)
    revoked = rt.record.get_waiver(waiver_id)
    assert revoked is not None
    return revoked


def waivers_for(rt: Runtime, build: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The active waivers of the build's store for its package or developer."""
    return rt.record.matching_waivers(build["tenant"], build.get("package"), build.get("developer"))


def waived(findings: Sequence[Mapping[str, Any]], waivers: Sequence[Mapping[str, Any]]) -> dict[int, dict[str, Any]]:
    """Finding index -> the first waiver that covers it."""
    out: dict[int, dict[str, Any]] = {}
    for i, f in enumerate(findings):
        hit = next((w for w in waivers if waivers_mod.matches(w, f)), None)
        if hit is not None:
            out[i] = dict(hit)
    return out


# -- what the reviewer reads beside the verdict ------------------------------------------------------------------

def previous_version(rt: Runtime, build: Mapping[str, Any]) -> dict[str, Any] | None:
    """The package's version decided before this build (another binary), or None for a first version."""
    package = build.get("package")
    if not package:
        return None
    verdict = build.get("verdict") or {}
    sha256 = (verdict.get("app") or {}).get("sha256")
    decided = build.get("decided_at") or time.time()
    earlier = [h for h in rt.record.history(build["tenant"], package, exclude_sha256=sha256)
               if h["first_decided_at"] <= decided]
    return earlier[-1] if earlier else None


def diff(rt: Runtime, build: Mapping[str, Any]) -> dict[str, Any] | None:
    """Findings added, removed and still there against the previous version (gate.core.history.diff)."""
    previous = previous_version(rt, build)
    findings = (build.get("verdict") or {}).get("findings") or []
    return hist.diff(findings, previous)

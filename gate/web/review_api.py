"""The review desk through the store's API (interface.md section 8), with the tenant's Bearer token: the queue,
decisions and waivers. A store sees only its own builds and waivers (another's answer 404, like unknown ones).
Bodies are checked by gate.service.review_schemas; every refusal is a problem+json naming the field."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError

from gate.core.times import iso_utc
from gate.record.models import REVIEW_STATUSES, STORE_TOKEN
from gate.record.repository import RecordTenant
from gate.service import review
from gate.service.review import ReviewError, WaiverRequest
from gate.service.review_schemas import DecisionRequestSchema, WaiverRequestSchema
from gate.service.runtime import Runtime
from gate.web.api import authenticate
from gate.web.problems import Problem, loads_bounded

bp = Blueprint("review_api", __name__, url_prefix="/api/v1")
MAX_BODY_BYTES = 64 * 1024


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["gate"]
    return rt


# the store's token, checked as for the rest of the API (g.tenant)
bp.before_request(authenticate)


def _tenant() -> RecordTenant:
    tenant: RecordTenant = g.tenant
    return tenant


def _body(schema: Schema) -> dict[str, Any]:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise Problem(413, f"the body is over {MAX_BODY_BYTES} bytes")
    if not request.mimetype or request.mimetype != "application/json":
        raise Problem(415, "send the body as application/json")
    try:
        data = loads_bounded(request.get_data(as_text=True))
    except ValueError as exc:
        raise Problem(400, f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Problem(400, "the body is a JSON object")
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        errors: Any = exc.messages
        if not isinstance(errors, dict) or not errors:
            raise Problem(422, f"the body is not valid: {_first(errors)}") from None
        name = sorted(errors)[0]
        raise Problem(422, f"{name}: {_first(errors[name])}", field=name, errors=errors) from None
    return loaded


def _first(message: Any) -> str:
    while isinstance(message, list | dict):
        message = (list(message.values()) if isinstance(message, dict) else message)[0] if message else ""
    return str(message)


def _refused(exc: ReviewError) -> Problem:
    return Problem(exc.status, str(exc), **({"field": exc.field} if exc.field else {}))


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Problem(400, f"{name} is a whole number from {low} to {high}", field=name) from None
    if not low <= value <= high:
        raise Problem(400, f"{name} is a whole number from {low} to {high}", field=name)
    return value


def _waiver(w: dict[str, Any]) -> dict[str, Any]:
    return {**w, "expires_at": iso_utc(w["expires_at"]), "created_at": iso_utc(w["created_at"]),
            "revoked_at": iso_utc(w["revoked_at"])}


@bp.get("/review")
def review_queue() -> Any:
    status = request.args.get("status", "pending")
    if status not in REVIEW_STATUSES:
        raise Problem(400, f"status is one of {', '.join(REVIEW_STATUSES)}", field="status")
    order = request.args.get("order", "newest")
    if order not in ("newest", "oldest"):
        raise Problem(400, "order is newest or oldest", field="order")
    filters = {k: (request.args.get(k) or "").strip() or None for k in ("rule", "sdk", "developer", "category")}
    rows = _rt().record.review_queue(_tenant().name, status=status, oldest_first=order == "oldest",
                                     limit=_int_arg("limit", 50, 1, 500), offset=_int_arg("offset", 0, 0, 10**6),
                                     **filters)
    return jsonify({"builds": [{**r, "decided_at": iso_utc(r["decided_at"])} for r in rows]})


@bp.post("/builds/<build_id>/decision")
def decision(build_id: str) -> Any:
    body = _body(DecisionRequestSchema())
    try:
        # the store's token vouches for the store; the reviewer is the name it gives (said so on the decision)
        out = review.decide(_rt(), _tenant().name, build_id, body["decision"], body["reason"], body["reviewer"],
                            identified_by=STORE_TOKEN, second_reviewer=body.get("second_reviewer"))
    except ReviewError as exc:
        raise _refused(exc) from None
    resp = jsonify({**out, "decided_at": iso_utc(out["decided_at"])})
    resp.status_code = 201
    return resp


@bp.get("/waivers")
def list_waivers() -> Any:
    include = request.args.get("include_revoked", "") in ("1", "true", "yes")
    waivers = _rt().record.waivers(_tenant().name, include_revoked=include,
                                   active_at=None if include else time.time())
    for key in ("package", "developer", "rule_id"):
        wanted = (request.args.get("rule" if key == "rule_id" else key) or "").strip()
        if wanted:
            waivers = [w for w in waivers if w[key] == wanted]
    return jsonify({"waivers": [_waiver(w) for w in waivers]})


@bp.post("/waivers")
def add_waiver() -> Any:
    body = _body(WaiverRequestSchema())
    try:
        expires = review.parse_time(body.get("expires_at"), "expires_at")
        w = review.add_waiver(_rt(), _tenant().name, WaiverRequest(
            rule_id=body["rule_id"], reason=body["reason"], package=body.get("package"),
            developer=body.get("developer"), evidence_match=body.get("evidence_match"), expires_at=expires),
            body["author"], identified_by=STORE_TOKEN)  # the author is the name the store gives (said so)
    except ReviewError as exc:
        raise _refused(exc) from None
    resp = jsonify(_waiver(w))
    resp.status_code = 201
    return resp


@bp.delete("/waivers")
def revoke_waiver() -> Any:
    """``DELETE /api/v1/waivers?id=N&actor=NAME``: the waiver ends (the record keeps it, marked revoked)."""
    raw = request.args.get("id", "")
    if not raw.isdigit():
        raise Problem(400, "id is the waiver's number: DELETE /api/v1/waivers?id=N", field="id")
    named = (request.args.get("actor") or "").strip()[:100]
    try:
        # a named actor is the store's word (store_token); none named, the store itself revoked it (api:STORE)
        w = review.revoke_waiver(_rt(), _tenant().name, int(raw), named or f"api:{_tenant().name}",
                                 identified_by=STORE_TOKEN, named=bool(named))
    except ReviewError as exc:
        raise _refused(exc) from None
    return jsonify(_waiver(w))

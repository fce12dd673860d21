"""The operators' API: the delisted registry (regulators' takedown notices), with the operators' token.

`GATE_ADMIN_TOKEN` enables it; without one every call answers 404, as if the API did not exist.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from gate.record.repository import RecordError
from gate.service.runtime import Runtime
from gate.web.problems import Problem

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["gate"]
    return rt


@bp.before_request
def authenticate() -> None:
    expected = _rt().settings.admin_token
    if not expected:
        raise Problem(404, "the operators' API is not enabled (set GATE_ADMIN_TOKEN)")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise Problem(401, "send the operators' token as 'Authorization: Bearer <token>'")


@bp.get("/delisted")
def list_delisted() -> Any:
    return jsonify({"delisted": _rt().record.delisted_entries()})


@bp.post("/delisted")
def add_delisted() -> Any:
    """One entry {"package", "developer", "notice"} or a notice list {"notice", "packages", "developers"}."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Problem(400, "send a JSON object")
    rows: list[dict[str, Any]]
    if "packages" in body or "developers" in body:
        rows = [{"package": p, "developer": None} for p in body.get("packages") or []]
        rows += [{"package": None, "developer": d} for d in body.get("developers") or []]
    else:
        rows = [{"package": body.get("package"), "developer": body.get("developer")}]
    notice = body.get("notice")
    if not isinstance(notice, str) or not notice.strip():
        raise Problem(422, "notice is required: the takedown notice the entries come from", field="notice")
    added = []
    try:
        for row in rows:
            if not all(v is None or isinstance(v, str) for v in row.values()):
                raise Problem(422, "packages and developers are strings", field="packages")
            added.append(_rt().record.delist(row["package"], row["developer"], notice, source="api"))
    except RecordError as exc:
        raise Problem(422, str(exc)) from None
    resp = jsonify({"added": added})
    resp.status_code = 201
    return resp


@bp.delete("/delisted/<package>")
def remove_delisted(package: str) -> Any:
    if not _rt().record.undelist(package, request.args.get("developer")):
        raise Problem(404, f"{package} is not on the delisted registry")
    return jsonify({"removed": package})

"""The store's API (interface.md section 6), authenticated with the tenant's Bearer token.

A tenant only ever sees its own builds: another tenant's build id answers 404, exactly like an unknown one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from gate.record.build import FINAL, Build
from gate.record.store import Tenant
from gate.service import reports
from gate.service.queues import enqueue_callback
from gate.service.runtime import Runtime, public_build
from gate.web.problems import Problem

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["gate"]
    return rt


@bp.before_request
def authenticate() -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "send the store's API token as 'Authorization: Bearer <token>'")
    tenant = _rt().record.tenant_by_token(token.strip())
    if tenant is None:
        raise Problem(401, "the API token is not valid")
    g.tenant = tenant


def _own_build(build_id: str) -> Build:
    tenant: Tenant = g.tenant
    build = _rt().build(build_id)
    if build is None or build.tenant != tenant.name:
        raise Problem(404, f"no build {build_id} for this store")
    return build


@bp.get("/builds/<build_id>")
def get_build(build_id: str) -> Any:
    rt = _rt()
    build = _own_build(build_id)
    return jsonify(public_build(rt.settings, build, deliveries=rt.record.deliveries(build_id), review=True))


@bp.get("/builds")
def list_builds() -> Any:
    rt = _rt()
    tenant: Tenant = g.tenant
    package = request.args.get("package", "").strip()
    try:
        limit = max(1, min(200, int(request.args.get("limit", "50"))))
    except ValueError:
        raise Problem(400, "limit must be a number between 1 and 200") from None
    if package:
        builds = [Build.from_row(b) for b in rt.record.builds_for_package(tenant.name, package, limit)]
    else:
        builds = [Build.from_row(b) for b in rt.record.recent_builds(tenant.name, limit)]
    return jsonify({"builds": [public_build(rt.settings, b, review=True) for b in builds]})


@bp.post("/builds/<build_id>/redeliver")
def redeliver(build_id: str) -> Any:
    rt = _rt()
    build = _own_build(build_id)
    if build.status not in FINAL:
        raise Problem(409, f"build {build_id} is {build.status}; its callback is sent once it is decided")
    tenant: Tenant = g.tenant
    if tenant.callback_disabled:
        # The store asks for the callback again: its endpoint is back after an earlier 410.
        rt.record.update_tenant(tenant.name, callback_disabled=False)
    job = enqueue_callback(rt.rq, rt.settings, build_id, reason="redeliver")
    resp = jsonify({"build_id": build_id, "status": "redelivery_queued", "job_id": job.id})
    resp.status_code = 202
    return resp


@bp.get("/reports/decisions")
def decisions_report() -> Any:
    """The store's decisions report (gate.service.reports): ?from=&to= (dates or UTC times), format csv|jsonl."""
    rt = _rt()
    tenant: Tenant = g.tenant
    fmt = request.args.get("format", "jsonl")
    try:
        if fmt not in reports.FORMATS:
            raise reports.ReportError(f"format is one of {', '.join(reports.FORMATS)}")
        start, end = reports.parse_period(request.args.get("from"), request.args.get("to"))
    except reports.ReportError as exc:
        raise Problem(400, str(exc)) from None
    text = reports.render(reports.rows(rt.record, start, end, tenant.name), fmt)
    name = f"decisions-{tenant.name}-{request.args.get('from', '')[:10]}-{request.args.get('to', '')[:10]}.{fmt}"
    return Response(text, mimetype=reports.MEDIA_TYPES[fmt].split(";")[0],
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

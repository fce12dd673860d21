"""Pages for people: the verdict page behind its unguessable link, health and readiness, metrics."""

from __future__ import annotations

from typing import Any

import redis
from flask import Blueprint, Response, abort, current_app, jsonify, render_template
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from gate import catalogue
from gate.metrics import RedisCollector
from gate.service import Runtime, public_build
from workers.queues import WORKER_QUEUES

bp = Blueprint("pages", __name__)

OUTCOME_ORDER = ("block", "warn", "info")


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["gate"]
    return rt


@bp.get("/v/<token>")
def verdict_page(token: str) -> Any:
    rt = _rt()
    build = rt.store.build_by_page_token(token)
    if build is None:
        abort(404)
    doc = public_build(rt.settings, build)
    groups = {o: [f for f in doc.get("findings", []) if f.get("outcome") == o] for o in OUTCOME_ORDER}
    resp = Response(render_template("verdict.html", v=doc, groups=groups, rules=catalogue.rules()))
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Robots-Tag"] = "noindex"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Any:
    from rq import Worker

    rt = _rt()
    try:
        rt.store.r.ping()
        workers = Worker.count(connection=rt.rq)
    except redis.RedisError as exc:
        resp = jsonify({"status": "unavailable", "redis": f"unreachable: {type(exc).__name__}"})
        resp.status_code = 503
        return resp
    ready = workers > 0
    resp = jsonify({"status": "ready" if ready else "no_workers", "redis": "ok", "workers": workers})
    resp.status_code = 200 if ready else 503
    return resp


@bp.get("/metrics")
def metrics() -> Response:
    rt = _rt()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(rt.store.r, rt.rq, rt.settings.key_prefix, WORKER_QUEUES))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

"""`POST /webhooks/v1/{tenant}/builds`: a store submits a build (interface.md section 4).

Order matters: the unauthenticated budget of the source address, the size limit, then the signature over the raw
body (streamed to disk while the HMAC is computed, so nothing is parsed before it is authenticated), then the
store's rate budget (charged only for signed requests), then webhook-id dedupe, then parsing and
validation, then the build is recorded and queued, then 202. Any answer other than 202 queues nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import ClientDisconnected
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header

from gate.core import listing as listing_mod
from gate.record.build import Build
from gate.record.store import ClaimLost, new_build_id, new_page_token
from gate.service import webhook_signing
from gate.service.artifact import host_allowed
from gate.service.deadline import SocketDeadline
from gate.service.queues import analysis_job_id, enqueue_analysis
from gate.service.runtime import Runtime, status_url, verdict_url
from gate.web.problems import Problem, loads_bounded, problem, unavailable

bp = Blueprint("inbound", __name__)

MULTIPART_OVERHEAD = 1024 * 1024  # metadata part and boundaries on top of the APK
MAX_JSON_BODY = 4 * 1024 * 1024
CHUNK = 1 << 16


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["gate"]
    return rt


def _count(result: str) -> None:
    _rt().metrics.safe_inc("gate_webhook_requests_total", result=result)


@bp.post("/webhooks/v1/<tenant>/builds")
def receive(tenant: str) -> Any:
    rt = _rt()
    settings = rt.settings
    source = request.remote_addr or "unknown"
    # A source whose requests keep failing authentication is slowed down on its own budget; a store's
    # budget is charged only once its secret has signed the request (_authenticated).
    wait = rt.store.unauthenticated_wait(source, settings.rate_limit_per_minute)
    if wait:
        _count("rate_limited")
        return _too_many(f"more than {settings.rate_limit_per_minute} unauthenticated requests a minute from "
                         f"this address; retry in {wait} s", wait)
    t = rt.record.get_tenant(tenant)
    if t is None:
        _count("unknown_tenant")
        _unauthenticated(rt, source)
        return problem(404, f"no store is registered as {tenant!r}")
    cap = settings.max_upload_bytes + MULTIPART_OVERHEAD
    if request.content_length is not None and request.content_length > cap:
        _count("too_large")
        return problem(413, f"the body is {request.content_length:,} bytes; {_limit(settings.max_upload_bytes)}")
    try:
        envelope = webhook_signing.read_headers(request.headers, tolerance_s=settings.webhook_tolerance_s)
    except webhook_signing.SignatureError as exc:
        _count("unauthorized")
        _unauthenticated(rt, source)
        return problem(401, str(exc))

    incoming = settings.data_dir / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    body_path = incoming / f"{uuid.uuid4().hex}.body"
    try:
        return _authenticated(rt, t, envelope, body_path, cap, source)
    finally:
        body_path.unlink(missing_ok=True)


def _limit(max_upload_bytes: int) -> str:
    """The configured limit, as the operator set it: the body may exceed it only by the metadata part."""
    return (f"the limit is {max_upload_bytes:,} bytes for the APK, plus up to {MULTIPART_OVERHEAD:,} bytes "
            "for the metadata part and the multipart framing")


def _too_many(detail: str, wait: int) -> Any:
    resp = problem(429, detail)
    resp.headers["Retry-After"] = str(wait)
    return resp


def _unauthenticated(rt: Runtime, source: str) -> None:
    rt.store.unauthenticated_wait(source, rt.settings.rate_limit_per_minute, charge=True)


def _authenticated(rt: Runtime, tenant: Any, envelope: webhook_signing.Envelope, body_path: Path, cap: int,
                   source: str) -> Any:
    signer = webhook_signing.Signer(tenant.secret, envelope.msg_id, envelope.timestamp)
    total = 0
    # Under gunicorn the connection's socket is at hand: a client trickling its body is cut off when the
    # body's time is up, so a few slow senders cannot hold every web thread. (Shutting only the reading
    # side leaves the 408 a way out.)
    sock = request.environ.get("gunicorn.socket")
    deadline = None
    if isinstance(sock, socket.socket):  # no timer thread where there is no socket to shut (e.g. a test client)
        deadline = SocketDeadline(rt.settings.body_timeout_s, socket.SHUT_RD)
        deadline.watch(sock)
    try:
        with body_path.open("wb") as out:
            while True:
                chunk = request.stream.read(CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > cap:
                    _count("too_large")
                    return problem(413, f"the body is larger than {cap:,} bytes; "
                                        f"{_limit(rt.settings.max_upload_bytes)}")
                signer.update(chunk)
                out.write(chunk)
    except (ClientDisconnected, OSError):
        if not (deadline and deadline.expired):
            _count("invalid")
            return problem(400, "the body ended before its declared length", field="body")
    finally:
        if deadline:
            deadline.cancel()
    if deadline and deadline.expired:
        _count("too_slow")
        resp = problem(408, f"the body took longer than {rt.settings.body_timeout_s:g} s to arrive; "
                            "nothing was stored, please retry")
        resp.headers["Connection"] = "close"
        return resp
    if not webhook_signing.matches(envelope, signer.signature()):
        _count("unauthorized")
        _unauthenticated(rt, source)
        return problem(401, "the webhook-signature does not match the body")
    wait = rt.store.take_rate(tenant.name, rt.settings.rate_limit_per_minute)
    if wait:
        _count("rate_limited")
        return _too_many(f"more than {rt.settings.rate_limit_per_minute} builds a minute from {tenant.name}; "
                         f"retry in {wait} s", wait)

    build_id = new_build_id()
    existing = rt.store.claim_webhook(tenant.name, envelope.msg_id, build_id, rt.settings.webhook_claim_ttl_s)
    if existing is not None:
        build = rt.build(existing)
        if build is None:
            _count("in_progress")
            resp = problem(409, "a delivery with this webhook-id is being processed; retry shortly")
            resp.headers["Retry-After"] = "5"
            return resp
        _count("duplicate")
        return _accepted(rt, build)
    # From the claim on, the claim ends in a stored build or is released: the build goes into the record, then
    # its analysis job and the claim's full dedupe period in one MULTI/EXEC; if anything fails before, the
    # build is deleted and the claim released, and if even that fails (Redis gone), it lapses after
    # webhook_claim_ttl_s. (A process dying between the record and Redis leaves a queued build without a job:
    # the reaper analyses it.)
    stored = False
    try:
        build = _parse(rt, tenant, build_id, body_path, total)
        build.job_id = analysis_job_id(build_id)
        rt.record.create_build(build.to_row())
        stored = True
        rt.store.commit_claim(tenant.name, envelope.msg_id, build_id, rt.settings.webhook_dedupe_ttl_s,
                              also=lambda pipe: enqueue_analysis(rt.rq, rt.settings, build_id, pipeline=pipe))
    except ClaimLost:
        _forget(rt, build_id, stored)
        _count("in_progress")
        resp = problem(409, "a delivery with this webhook-id is being processed; retry shortly")
        resp.headers["Retry-After"] = "5"
        return resp
    except Problem as p:
        _forget(rt, build_id, stored)
        _release(rt, tenant.name, envelope.msg_id, build_id)
        _count("invalid" if p.status in (400, 415, 422) else "too_large" if p.status == 413 else "rejected")
        return p.response()
    except Exception as exc:  # noqa: BLE001 - whatever failed, nothing is stored and the store may retry
        _forget(rt, build_id, stored)
        _release(rt, tenant.name, envelope.msg_id, build_id)
        _count("error")
        if isinstance(exc, redis.RedisError):
            current_app.logger.warning("could not store build %s: Redis %s", build_id, type(exc).__name__)
        else:
            current_app.logger.exception("could not queue build %s", build_id)
        return unavailable("the build could not be stored; nothing was stored, please retry")
    _count("accepted")
    return _accepted(rt, build)


def _forget(rt: Runtime, build_id: str, stored: bool) -> None:
    """Take back a build that could not be queued: its APK and, once stored, its row."""
    (rt.settings.apk_dir / f"{build_id}.apk").unlink(missing_ok=True)
    if stored:
        try:
            rt.record.delete_build(build_id)
        except Exception:  # noqa: BLE001 - the database is down too: the reaper analyses the build instead
            current_app.logger.exception("could not take back build %s", build_id)


def _release(rt: Runtime, tenant: str, msg_id: str, build_id: str) -> None:
    (rt.settings.apk_dir / f"{build_id}.apk").unlink(missing_ok=True)
    try:
        rt.store.release_webhook(tenant, msg_id, build_id)
    except redis.RedisError:
        pass  # the claim lapses by itself (webhook_claim_ttl_s)


def _accepted(rt: Runtime, build: Build) -> Any:
    status = build.status
    resp = jsonify({"build_id": build.build_id, "status": status if status != "running" else "queued",
                    "status_url": status_url(rt.settings, build), "verdict_url": verdict_url(rt.settings, build)})
    resp.status_code = 202
    return resp


def _parse(rt: Runtime, tenant: Any, build_id: str, body_path: Path, size: int) -> Build:
    mimetype, options = parse_options_header(request.headers.get("content-type", ""))
    base: dict[str, Any] = {"build_id": build_id, "tenant": tenant.name, "status": "queued",
                            "received_at": time.time(), "verdict_token": new_page_token(), "attempts": 0}
    if mimetype == "multipart/form-data":
        return Build(**base, **_parse_multipart(rt, build_id, body_path, size, options))
    if mimetype == "application/json":
        return Build(**base, **_parse_json(rt, tenant, body_path, size))
    raise Problem(415, "send multipart/form-data (metadata + apk) or application/json (with an artifact URL)")


def _metadata(data: Any, where: str) -> tuple[str, dict[str, Any] | None]:
    if not isinstance(data, dict):
        raise Problem(422, f"{where} must be a JSON object", field=where)
    # interface.md section 4: {"build": {"id": PLATFORM_BUILD_ID}, ...}; the store's id is how it matches
    # the callback to its upload, so a body without one is refused rather than stored with a null id
    build = data.get("build")
    if build is None:
        raise Problem(422, f"{where} has no build: send build: {{\"id\": \"<the store's build id>\"}}",
                      field="build")
    if not isinstance(build, dict):
        raise Problem(422, "build must be an object like {\"id\": \"...\"}", field="build")
    platform_id = build.get("id")
    if platform_id is None or platform_id == "":
        raise Problem(422, "build.id is required: the store's own id for this build", field="build.id")
    if isinstance(platform_id, bool) or not isinstance(platform_id, str | int):
        raise Problem(422, "build.id must be a string", field="build.id")
    raw_listing = data.get("listing")
    if raw_listing is not None:
        try:
            listing_mod.load(raw_listing)
        except listing_mod.ListingError as exc:
            first = next(iter(exc.errors), "listing")
            raise Problem(422, str(exc), field=f"listing.{first}" if first != "listing" else "listing",
                          errors=exc.errors) from None
    return str(platform_id), raw_listing


def _parse_multipart(rt: Runtime, build_id: str, body_path: Path, size: int, options: dict[str, str]
                     ) -> dict[str, Any]:
    if "boundary" not in options:
        raise Problem(400, "multipart body without a boundary", field="content-type")
    parser = FormDataParser(max_form_memory_size=MAX_JSON_BODY, max_form_parts=16)
    try:
        with body_path.open("rb") as fh:
            _, form, files = parser.parse(fh, "multipart/form-data", size, options)
    except Exception as exc:  # noqa: BLE001 - werkzeug raises several kinds for broken bodies
        raise Problem(400, f"the multipart body cannot be parsed: {type(exc).__name__}", field="body") from None
    try:
        raw_meta = form.get("metadata")
        if raw_meta is None and "metadata" in files:
            raw_meta = files["metadata"].read(MAX_JSON_BODY + 1).decode("utf-8")
        if raw_meta is None:
            raise Problem(422, "the multipart body has no 'metadata' part", field="metadata")
        try:
            meta = loads_bounded(raw_meta, "the metadata part", field="metadata")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Problem(422, f"the metadata part is not valid JSON: {exc}", field="metadata") from None
        platform_id, listing = _metadata(meta, "metadata")
        apk = files.get("apk")
        if apk is None:
            raise Problem(422, "the multipart body has no 'apk' file part", field="apk")
        dest = rt.settings.apk_dir / f"{build_id}.apk"
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        written = 0
        with dest.open("wb") as out:
            while chunk := apk.stream.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                written += len(chunk)
        if written == 0:
            dest.unlink()
            raise Problem(422, "the apk part is empty", field="apk")
        if written > rt.settings.max_upload_bytes:
            dest.unlink()
            raise Problem(413, f"the APK is {written:,} bytes; the limit is {rt.settings.max_upload_bytes:,}")
        return {"platform_build_id": platform_id, "listing": listing, "apk_path": str(dest),
                "apk_sha256": digest.hexdigest(), "apk_size": written,
                "apk_name": os.path.basename(apk.filename or "upload.apk")[:200]}
    finally:
        for storage in files.values():
            storage.close()


def _parse_json(rt: Runtime, tenant: Any, body_path: Path, size: int) -> dict[str, Any]:
    if size > MAX_JSON_BODY:
        raise Problem(413, f"a JSON body is limited to {MAX_JSON_BODY:,} bytes; send the APK by artifact URL")
    try:
        data = loads_bounded(body_path.read_bytes().decode("utf-8"), "the body", field="body")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Problem(400, f"the body is not valid JSON: {exc}", field="body") from None
    platform_id, listing = _metadata(data, "body")
    artifact = data.get("artifact")
    if not isinstance(artifact, dict):
        raise Problem(422, "a JSON body needs artifact: {url, sha256, size}", field="artifact")
    url, sha, declared = artifact.get("url"), artifact.get("sha256"), artifact.get("size")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise Problem(422, "artifact.url must be an http(s) URL", field="artifact.url")
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdefABCDEF" for c in sha):
        raise Problem(422, "artifact.sha256 must be 64 hex characters", field="artifact.sha256")
    if declared is not None and (isinstance(declared, bool) or not isinstance(declared, int) or declared <= 0):
        raise Problem(422, "artifact.size must be a positive integer", field="artifact.size")
    if declared is not None and declared > rt.settings.max_upload_bytes:
        raise Problem(413, f"the artifact is {declared:,} bytes; the limit is {rt.settings.max_upload_bytes:,}")
    if not host_allowed(url, tenant.allowed_hosts):
        raise Problem(422, "artifact.url is not on this store's allowed hosts", field="artifact.url")
    return {"platform_build_id": platform_id, "listing": listing,
            "artifact": {"url": url, "sha256": sha.lower(), "size": declared},
            "apk_sha256": sha.lower(), "apk_size": declared or 0, "apk_name": url.rsplit("/", 1)[-1][:200]}



"""Inbound webhook: verify first, dedupe, validate, queue; nothing queued unless the answer is 202."""

from __future__ import annotations

import json
import time

import pytest
from rq import Queue

from tests.conftest import LISTINGS, fixture_apk
from tests.service.conftest import free_port, multipart, post_build, signed, start_gunicorn

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


def _queued(rt) -> int:  # type: ignore[no-untyped-def]
    return Queue("analysis", connection=rt.rq).count


def _builds(rt) -> int:  # type: ignore[no-untyped-def]
    return sum(len(rt.record.recent_builds(t.name, 10_000)) for t in rt.record.list_tenants())


def test_signed_multipart_is_accepted_stored_and_queued(client, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    resp = post_build(client, tenant, fixture_apk("clean"), LISTING)
    assert resp.status_code == 202, resp.json
    doc = resp.json
    assert doc["status"] == "queued"
    assert doc["status_url"] == f"http://gate.test/api/v1/builds/{doc['build_id']}"
    assert doc["verdict_url"].startswith("http://gate.test/v/")
    build = rt.build(doc["build_id"])
    assert build.platform_build_id == "p-1" and build.listing["app_name"] == LISTING["app_name"]
    assert build.apk_size == fixture_apk("clean").stat().st_size
    assert _queued(rt) == 1


def test_the_same_webhook_id_answers_the_same_build(client, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    first = post_build(client, tenant, fixture_apk("clean"), LISTING, msg_id="msg_same")
    again = post_build(client, tenant, fixture_apk("clean"), LISTING, msg_id="msg_same")
    assert first.status_code == again.status_code == 202
    assert first.json["build_id"] == again.json["build_id"]
    assert _queued(rt) == 1 and _builds(rt) == 1


@pytest.mark.parametrize("problem", ["bad", "stale", "future", "missing", "other_secret", "tampered"])
def test_unauthentic_requests_get_401_and_queue_nothing(client, rt, tenant, problem: str) -> None:  # type: ignore[no-untyped-def]
    from gate.service import webhook_signing

    body, ctype = multipart(fixture_apk("clean"), {"build": {"id": "x"}, "listing": LISTING})
    headers = signed(tenant["secret"], body)
    if problem == "bad":
        headers["webhook-signature"] = "v1,bm90IGEgc2lnbmF0dXJl"
    elif problem == "stale":
        headers = signed(tenant["secret"], body, timestamp=int(time.time()) - 600)
    elif problem == "future":
        headers = signed(tenant["secret"], body, timestamp=int(time.time()) + 600)
    elif problem == "missing":
        headers = {}
    elif problem == "other_secret":
        headers = signed(webhook_signing.new_secret(), body)
    elif problem == "tampered":
        body = body.replace(b"p-1", b"p-2").replace(b'"x"', b'"y"')
    headers["content-type"] = ctype
    resp = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body, headers=headers)
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"
    assert _queued(rt) == 0 and _builds(rt) == 0


def test_unknown_tenant_is_404(client, tenant) -> None:  # type: ignore[no-untyped-def]
    body, ctype = multipart(fixture_apk("clean"), {"build": {"id": "x"}})
    resp = client.post("/webhooks/v1/nobody/builds", data=body, headers={**signed(tenant["secret"], body),
                                                                          "content-type": ctype})
    assert resp.status_code == 404


@pytest.mark.parametrize(
    ("metadata", "apk", "status", "field"),
    [
        ('{"build": ', b"apk", 422, "metadata"),
        ({"build": {"id": "x"}, "listing": {"category": 5}}, b"apk", 422, "listing.category"),
        ({"build": "x"}, b"apk", 422, "build"),
        ({"build": {"id": "x"}}, None, 422, "apk"),
        (None, b"apk", 422, "metadata"),
        ({"build": {"id": "x"}}, b"", 422, "apk"),
        ({"listing": LISTING}, b"apk", 422, "build"),  # interface.md: build.id is required
        ({"build": {}, "listing": LISTING}, b"apk", 422, "build.id"),
        ({"build": {"id": ""}}, b"apk", 422, "build.id"),
        ({"build": {"id": None}}, b"apk", 422, "build.id"),
    ],
)
def test_malformed_bodies_name_the_field_and_free_the_webhook_id(  # type: ignore[no-untyped-def]
        client, rt, tenant, metadata, apk, status, field) -> None:
    body, ctype = multipart(apk, metadata)
    headers = {**signed(tenant["secret"], body, "msg_retry"), "content-type": ctype}
    resp = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body, headers=headers)
    assert resp.status_code == status, resp.json
    assert resp.json["field"] == field
    assert _queued(rt) == 0 and _builds(rt) == 0
    # the store fixes the body and redelivers under the same webhook-id: accepted
    fixed = post_build(client, tenant, fixture_apk("clean"), LISTING, msg_id="msg_retry")
    assert fixed.status_code == 202


def test_other_media_types_are_415(client, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    body = b"<xml/>"
    resp = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body,
                       headers={**signed(tenant["secret"], body), "content-type": "text/xml"})
    assert resp.status_code == 415 and _queued(rt) == 0


def test_over_the_size_limit_is_413_before_reading(app, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    app.extensions["gate"].settings = replace(rt.settings, max_upload_bytes=1000)
    body, ctype = multipart(b"A" * 2_000_000, {"build": {"id": "x"}})
    resp = app.test_client().post(f"/webhooks/v1/{tenant['name']}/builds", data=body,
                                  headers={**signed(tenant["secret"], body), "content-type": ctype})
    assert resp.status_code == 413 and _queued(rt) == 0


def test_json_body_with_an_artifact_url(client, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    sha = "a" * 64
    ok = {"build": {"id": "j-1"}, "listing": LISTING,
          "artifact": {"url": "http://127.0.0.1:9/app.apk", "sha256": sha, "size": 1234}}
    body = json.dumps(ok).encode()
    resp = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body,
                       headers={**signed(tenant["secret"], body), "content-type": "application/json"})
    assert resp.status_code == 202
    assert rt.build(resp.json["build_id"]).artifact["url"] == "http://127.0.0.1:9/app.apk"
    elsewhere = dict(ok, artifact={"url": "https://evil.example/app.apk", "sha256": sha, "size": 1})
    body = json.dumps(elsewhere).encode()
    resp = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body,
                       headers={**signed(tenant["secret"], body), "content-type": "application/json"})
    assert resp.status_code == 422 and resp.json["field"] == "artifact.url"
    assert _queued(rt) == 1


def test_over_the_limit_over_http_names_the_configured_limit(settings, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    """GATE_MAX_UPLOAD_BYTES=1000000 and a 4 MB upload, through gunicorn: the refusal names 1,000,000, the
    limit the operator set, not that limit plus the multipart allowance."""
    import requests

    port = free_port()
    web = start_gunicorn(settings, port, extra_env={"GATE_MAX_UPLOAD_BYTES": "1000000"}, threads=2)
    try:
        body, ctype = multipart(b"A" * 4_000_000, {"build": {"id": "big"}, "listing": LISTING})
        url = f"http://127.0.0.1:{port}/webhooks/v1/{tenant['name']}/builds"
        resp = requests.post(url, data=body, headers={**signed(tenant["secret"], body), "content-type": ctype},
                             timeout=30)
        assert resp.status_code == 413
        detail = resp.json()["detail"]
        assert "the limit is 1,000,000 bytes for the APK" in detail, detail
        assert "2,048,576" not in detail
        # a body sent without a length (chunked) is cut off as it streams, with the same limit named
        chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
        resp = requests.post(url, data=chunks, headers={**signed(tenant["secret"], body), "content-type": ctype},
                             timeout=30)
        assert resp.status_code == 413 and "the limit is 1,000,000 bytes for the APK" in resp.json()["detail"]
        # without build.id, over HTTP too: 422 naming the field, nothing stored
        body, ctype = multipart(fixture_apk("clean"), {"listing": LISTING})
        resp = requests.post(url, data=body, headers={**signed(tenant["secret"], body), "content-type": ctype},
                             timeout=30)
        assert resp.status_code == 422 and resp.json()["field"] == "build"
        assert _builds(rt) == 0
    finally:
        web.terminate()
        web.wait(30)
        if web.stderr:
            web.stderr.close()

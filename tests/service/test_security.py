"""Hostile callers: rate limits, replays, HTML in listings, artifact hosts and redirects."""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import replace

from rq import Queue

from tests.conftest import LISTINGS, fixture_apk
from tests.service.conftest import multipart, post_build, signed, wait_status

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


def test_per_tenant_rate_limit(app, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    app.extensions["gate"].settings = replace(rt.settings, rate_limit_per_minute=3)
    client = app.test_client()
    answers = [post_build(client, tenant, fixture_apk("clean"), LISTING).status_code for _ in range(5)]
    assert answers == [202, 202, 202, 429, 429]
    limited = post_build(client, tenant, fixture_apk("clean"), LISTING)
    assert int(limited.headers["Retry-After"]) >= 1
    assert Queue("analysis", connection=rt.rq).count == 3  # nothing queued for the refused ones


def test_an_exact_replay_answers_the_first_build_and_queues_nothing(client, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    body, ctype = multipart(fixture_apk("clean"), {"build": {"id": "r"}, "listing": LISTING})
    headers = {**signed(tenant["secret"], body, "msg_replayed"), "content-type": ctype}
    first = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body, headers=headers)
    replay = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body, headers=headers)
    assert first.status_code == replay.status_code == 202 and first.json == replay.json
    assert Queue("analysis", connection=rt.rq).count == 1


def test_html_in_the_listing_is_rendered_inert(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    evil = dict(LISTING, app_name='<script>alert("x")</script><img src=x onerror=alert(1)>',
                filing_number='<b onmouseover="steal()">ICP</b>')
    build_id = post_build(client, tenant, fixture_apk("clean"), evil).json["build_id"]
    workers.burst()
    build = wait_status(rt, build_id, ("done",))
    page = client.get(f"/v/{build.verdict_token}")
    assert page.status_code == 200
    assert "<script>" not in page.text and "<img" not in page.text and "<b onmouseover" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "&lt;b onmouseover=" in page.text  # echoed inside the PLT-FILING-MISSING message, escaped
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"


def test_verdict_page_tokens_are_long_and_random(client, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    tokens = set()
    for _ in range(20):
        build_id = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
        tokens.add(rt.build(build_id).verdict_token)
    assert len(tokens) == 20
    assert all(len(t) >= 43 for t in tokens)  # 32 random bytes, URL-safe base64: 256 bits


class _Redirector:
    def __init__(self, location: str) -> None:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(302)
                self.send_header("Location", outer.location)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *a: object) -> None:
                pass

        self.location = location
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.port = self.server.server_address[1]


def test_artifact_redirects_away_from_allowed_hosts_are_refused(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    redirector = _Redirector("http://localhost:9/internal-metadata")
    try:
        url = f"http://127.0.0.1:{redirector.port}/app.apk"
        body = json.dumps({"build": {"id": "redir"}, "listing": LISTING,
                           "artifact": {"url": url, "sha256": "0" * 64, "size": 100}}).encode()
        resp = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body,
                           headers={**signed(tenant["secret"], body), "content-type": "application/json"})
        assert resp.status_code == 202  # 127.0.0.1 is on the tenant's list; the redirect target is not
        workers.burst()
        build = wait_status(rt, resp.json["build_id"], ("failed",))
        assert "not on this store's allowed hosts" in build.verdict["findings"][0]["message"]
    finally:
        redirector.server.shutdown()
        redirector.server.server_close()


def test_the_verdict_page_does_not_leak_through_the_api_of_another_store(client, rt, tenant, callback_server) -> None:  # type: ignore[no-untyped-def]
    build_id = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
    _, other = rt.record.add_tenant("store-z", callback_server.url)
    listed = client.get("/api/v1/builds", headers={"authorization": f"Bearer {other}"}).json["builds"]
    assert build_id not in {b["build_id"] for b in listed}

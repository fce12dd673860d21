"""JSON submissions: the worker downloads the APK from the store's artifact host (a real local HTTP server)."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LISTINGS, fixture_apk
from tests.service.conftest import post_build, signed, wait_status

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


@pytest.fixture()
def artifact_host(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "artifacts"
    root.mkdir()
    (root / "app.apk").write_bytes(fixture_apk("bg-location").read_bytes())

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*a, directory=str(root), **kw)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _submit(client, tenant, url: str, sha: str, size: int):  # type: ignore[no-untyped-def]
    body = json.dumps({"build": {"id": "art-1"}, "listing": LISTING,
                       "artifact": {"url": url, "sha256": sha, "size": size}}).encode()
    return client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body,
                       headers={**signed(tenant["secret"], body), "content-type": "application/json"})


def test_the_worker_fetches_and_checks_the_artifact(client, rt, tenant, workers, artifact_host) -> None:  # type: ignore[no-untyped-def]
    data = fixture_apk("bg-location").read_bytes()
    resp = _submit(client, tenant, f"{artifact_host}/app.apk", hashlib.sha256(data).hexdigest(), len(data))
    assert resp.status_code == 202
    workers.burst()
    build = wait_status(rt, resp.json["build_id"], ("done",))
    assert build.verdict["app"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert "PI-BACKGROUND-LOCATION" in {f["rule_id"] for f in build.verdict["findings"]}


def test_a_mismatching_artifact_is_answered_not_analysed(client, rt, tenant, workers, artifact_host) -> None:  # type: ignore[no-untyped-def]
    resp = _submit(client, tenant, f"{artifact_host}/app.apk", "0" * 64, None)  # type: ignore[arg-type]
    workers.burst()
    build = wait_status(rt, resp.json["build_id"], ("failed",))
    [finding] = build.verdict["findings"]
    assert finding["rule_id"] == "PKG-UNREADABLE" and "sha256 does not match" in finding["message"]
    assert build.verdict["verdict"] == "block"
    assert not list(rt.settings.apk_dir.glob("*.part"))


def test_a_missing_artifact_is_answered(client, rt, tenant, workers, artifact_host) -> None:  # type: ignore[no-untyped-def]
    resp = _submit(client, tenant, f"{artifact_host}/gone.apk", "0" * 64, 100)
    workers.burst()
    build = wait_status(rt, resp.json["build_id"], ("failed",))
    assert "HTTP 404" in build.verdict["findings"][0]["message"]


def test_a_job_that_raises_still_answers_the_store(client, rt, tenant, workers, callback_server) -> None:  # type: ignore[no-untyped-def]
    build_id = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
    # a listing that slipped past validation makes the job raise inside the worker
    rt.update_build(build_id, listing={"category": 5})
    workers.burst()
    build = wait_status(rt, build_id, ("failed",))
    [finding] = build.verdict["findings"]
    # the gate's own refusal (a GateError) is explained in the verdict, naming the field
    assert finding["rule_id"] == "GATE-CHECK-FAILED" and "category" in finding["message"], finding["message"]
    [event] = callback_server.wait_for(1)
    assert event["data"]["status"] == "failed"


def test_an_unexpected_failure_keeps_its_text_out_of_the_verdict(client, rt, tenant, workers, callback_server) -> None:  # type: ignore[no-untyped-def]
    build_id = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
    # a stored artifact record without its sha256: a KeyError deep in the job, i.e. a bug, not a refusal
    rt.update_build(build_id, apk_path="", artifact={"url": "http://127.0.0.1:9/secret-internal-path.apk"})
    workers.burst()
    build = wait_status(rt, build_id, ("failed",))
    [finding] = build.verdict["findings"]
    assert finding["rule_id"] == "GATE-CHECK-FAILED"
    assert finding["message"] == "The analysis did not finish: an internal error (KeyError) stopped it."
    assert "sha256" not in finding["message_zh"] and "secret" not in json.dumps(build.verdict)
    callback_server.wait_for(1)

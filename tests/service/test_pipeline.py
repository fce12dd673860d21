"""The whole path with real pieces: signed webhook → real worker → stored verdict → API → signed callback."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from gate.service import webhook_signing
from tests.conftest import LISTINGS, ROOT, corpus_file, fixture_apk
from tests.service.conftest import post_build, wait_status

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


def _verify_callback(received: dict, secret: str) -> dict:  # type: ignore[type-arg]
    env = webhook_signing.read_headers(received["headers"])
    signer = webhook_signing.Signer(secret, env.msg_id, env.timestamp)
    signer.update(received["body"])
    assert webhook_signing.matches(env, signer.signature()), "callback signature does not verify"
    return json.loads(received["body"])  # type: ignore[no-any-return]


def test_submission_ends_in_verdict_api_answer_and_signed_callback(  # type: ignore[no-untyped-def]
        client, rt, tenant, workers, callback_server) -> None:
    resp = post_build(client, tenant, fixture_apk("debuggable"), LISTING, platform_id="store-42")
    build_id = resp.json["build_id"]
    workers.burst()
    build = wait_status(rt, build_id, ("done",), timeout_s=10)
    assert build.verdict["verdict"] == "block"

    api = client.get(f"/api/v1/builds/{build_id}", headers={"authorization": f"Bearer {tenant['token']}"})
    assert api.status_code == 200
    doc = api.json
    assert doc["status"] == "done" and doc["verdict"] == "block" and doc["platform_build_id"] == "store-42"
    assert doc["tenant"] == "store-a" and doc["received_at"] and doc["decided_at"]
    assert "PKG-DEBUGGABLE" in {f["rule_id"] for f in doc["findings"]}
    assert doc["app"]["package"] == "cn.gate.fixture.debuggable"

    [event] = callback_server.wait_for(1)
    body = _verify_callback(callback_server.received[0], tenant["secret"])
    assert body["type"] == "build.verdict"
    assert body["data"]["build_id"] == build_id and body["data"]["verdict"] == "block"
    assert body["data"]["findings"] == doc["findings"]
    delivered = client.get(f"/api/v1/builds/{build_id}", headers={"authorization": f"Bearer {tenant['token']}"})
    assert [a["result"] for a in delivered.json["callback_attempts"]] == ["delivered"]
    assert not (rt.settings.apk_dir / f"{build_id}.apk").exists()  # APK bytes kept only until the verdict

    page = client.get(doc["verdict_url"].replace("http://gate.test", ""))
    assert page.status_code == 200 and "PKG-DEBUGGABLE" in page.text

    history = rt.record.history("store-a", "cn.gate.fixture.debuggable")
    assert len(history) == 1 and history[0]["certificates"] == [c["sha256"] for c in doc["app"]["certificates"]]
    assert any(k.startswith("PKG-DEBUGGABLE:") for k in history[0]["findings"])


def test_a_redelivered_webhook_is_analysed_once(client, rt, tenant, workers, callback_server) -> None:  # type: ignore[no-untyped-def]
    ids = {post_build(client, tenant, fixture_apk("clean"), LISTING, msg_id="msg_dup").json["build_id"]
           for _ in range(3)}
    assert len(ids) == 1
    workers.burst()
    build = wait_status(rt, ids.pop(), ("done",), timeout_s=10)
    assert build.attempts == 1
    callback_server.wait_for(1)
    time.sleep(0.3)
    assert len(callback_server.received) == 1


def test_an_endpoint_down_at_first_gets_the_callback_once_it_is_up(  # type: ignore[no-untyped-def]
        client, rt, tenant, workers, callback_server) -> None:
    callback_server.stop()  # the store's endpoint is down
    build_id = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
    workers.start()
    wait_status(rt, build_id, ("done",), timeout_s=20)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not rt.record.deliveries(build_id):
        time.sleep(0.05)
    assert rt.record.deliveries(build_id)[0]["result"] == "retrying"
    callback_server.start()  # back up, same address
    callback_server.wait_for(1, timeout_s=30)
    # the worker records the delivery after the endpoint has answered: wait for the record too
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and rt.record.deliveries(build_id)[-1]["result"] != "delivered":
        time.sleep(0.05)
    attempts = rt.record.deliveries(build_id)
    assert attempts[-1]["result"] == "delivered"
    assert attempts[0]["result"] == "retrying" and attempts[0]["status_code"] is None


def test_a_down_endpoint_logs_one_line_per_attempt_and_no_traceback(  # type: ignore[no-untyped-def]
        client, rt, settings, tenant, workers, callback_server, tmp_path) -> None:
    """Every attempt of a callback to an endpoint that stays down: one line naming the build, the attempt, the
    next retry and the reason; RQ's traceback for the job's exception is not printed."""
    callback_server.stop()
    build_id = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gate.cli", "worker"], env=workers.env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        workers.procs.append(proc)
        attempts = 1 + len(settings.callback_retry_intervals_s)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(rt.record.deliveries(build_id)) < attempts:
            time.sleep(0.1)
        time.sleep(0.5)  # the last line is written after the delivery is recorded
        workers.stop_all()
    assert [a["result"] for a in rt.record.deliveries(build_id)] == ["retrying"] * (attempts - 1) + ["gave_up"]
    logged = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in logged, logged[-3000:]
    lines = [line for line in logged.splitlines() if build_id in line]
    assert len(lines) == attempts, logged[-3000:]
    waits = [*settings.callback_retry_intervals_s, None]
    for number, (line, wait) in enumerate(zip(lines, waits, strict=True), start=1):
        then = f"next retry in {wait} s" if wait else "no retries left"
        assert line.endswith(f"callback for build {build_id} (store-a): attempt {number} of {attempts} failed "
                             f"(ConnectionError: Connection refused); {then}"), line


def test_410_stops_deliveries_and_redeliver_sends_again(  # type: ignore[no-untyped-def]
        client, rt, tenant, workers, callback_server) -> None:
    callback_server.status = 410
    build_id = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
    workers.burst()
    callback_server.wait_for(1)
    workers.burst()
    assert [a["result"] for a in rt.record.deliveries(build_id)] == ["gone"]
    assert rt.record.get_tenant("store-a").callback_disabled

    callback_server.status = 200
    auth = {"authorization": f"Bearer {tenant['token']}"}
    resp = client.post(f"/api/v1/builds/{build_id}/redeliver", headers=auth)
    assert resp.status_code == 202
    workers.burst()
    callback_server.wait_for(2)
    assert [a["result"] for a in rt.record.deliveries(build_id)] == ["gone", "delivered"]
    assert [a["reason"] for a in rt.record.deliveries(build_id)] == ["verdict", "redeliver"]


def test_a_corpus_apk_from_webhook_to_callback(client, rt, tenant, workers, callback_server) -> None:  # type: ignore[no-untyped-def]
    apk = corpus_file("apks/mobpush-demo.apk")
    build_id = post_build(client, tenant, apk, LISTING).json["build_id"]
    workers.burst()
    [event] = callback_server.wait_for(1)
    data = event["data"]
    assert data["build_id"] == build_id and data["app"]["package"] == "com.mob.mobpush.demo"
    assert "HAR-SELF-START" in {f["rule_id"] for f in data["findings"]}


def test_metrics_count_what_happened(client, rt, tenant, workers, callback_server) -> None:  # type: ignore[no-untyped-def]
    post_build(client, tenant, fixture_apk("debuggable"), LISTING)
    body_bad = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=b"{}",
                           headers={"content-type": "application/json"})
    assert body_bad.status_code == 401
    workers.burst()
    callback_server.wait_for(1)
    text = client.get("/metrics").text
    assert 'gate_webhook_requests_total{result="accepted"} 1.0' in text
    assert 'gate_webhook_requests_total{result="unauthorized"} 1.0' in text
    assert 'gate_verdicts_total{outcome="block"} 1.0' in text
    assert 'gate_findings_total{outcome="block",rule_id="PKG-DEBUGGABLE"} 1.0' in text
    assert 'gate_analysis_duration_seconds_count 1.0' in text
    assert 'gate_queue_depth{queue="analysis"} 0.0' in text
    assert "gate_builds_undecided 0.0" in text and "gate_builds_review_pending 0.0" in text  # a block: no review
    deadline = time.monotonic() + 5
    while 'gate_callback_deliveries_total{result="delivered"} 1.0' not in text and time.monotonic() < deadline:
        time.sleep(0.1)
        text = client.get("/metrics").text
    assert 'gate_callback_deliveries_total{result="delivered"} 1.0' in text

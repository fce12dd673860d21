"""Issue #17: Redis faltering and hostile callers. Real Redis (a server of the test's own, killed and
restarted), real gunicorn and real sockets, loopback only."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from rq import Queue

from gate.record.build import Build
from gate.service.runtime import Runtime, failure_verdict, finalize
from gate.service.settings import Settings
from tests.conftest import LISTINGS, ROOT, fixture_apk
from tests.service.conftest import (
    CallbackServer,
    free_port,
    multipart,
    post_build,
    signed,
    start_gunicorn,
    wait_ready,
    wait_status,
)
from tests.service.resilience import OwnRedis, dies_before_command

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


@pytest.fixture()
def own(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path / "own-redis").start()
    yield server
    server.kill()


@pytest.fixture()
def own_settings(own: OwnRedis, tmp_path: Path) -> Settings:
    return Settings(redis_url=own.url, data_dir=tmp_path / "var", public_url="http://gate.test",
                    callback_retry_intervals_s=(1, 1, 1, 2, 2), callback_timeout_s=3, job_heartbeat_s=1,
                    webhook_claim_ttl_s=2)


def _app(settings: Settings) -> Any:
    from gate.web.app import create_app

    return create_app({f: getattr(settings, f) for f in settings.__dataclass_fields__})


def _stop(web: subprocess.Popen[bytes]) -> None:
    web.terminate()
    web.wait(30)
    for stream in (web.stdout, web.stderr):
        if stream:
            stream.close()


def _callback_jobs(rt: Runtime, build_id: str) -> list[str]:
    q = Queue("callbacks", connection=rt.rq)
    return [j.id for j in q.get_jobs() if j.args == (build_id,)]


# -- 1. workers and the supervisor wait out a Redis outage ---------------------------------------------------

def test_a_worker_waits_out_a_redis_outage_and_then_works(own: OwnRedis, own_settings: Settings) -> None:
    cb = CallbackServer().start()
    env = {**os.environ, **own_settings.env(), "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen([sys.executable, "-m", "gate.cli", "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        rt = Runtime(own_settings)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not rt.rq.smembers("rq:workers"):
            time.sleep(0.2)
        assert rt.rq.smembers("rq:workers"), "the worker never registered"
        own.kill()
        time.sleep(6)
        assert worker.poll() is None, "the worker exited during the outage: " + (
            worker.stderr.read().decode(errors="replace")[-1500:] if worker.stderr else "")
        own.start()
        t, _ = Runtime(own_settings).record.add_tenant("store-a", cb.url)
        resp = post_build(_app(own_settings).test_client(), {"name": t.name, "secret": t.secret},
                          fixture_apk("clean"), LISTING)
        assert resp.status_code == 202, resp.get_data(as_text=True)
        wait_status(Runtime(own_settings), resp.json["build_id"], ("done",), timeout_s=60)
        cb.wait_for(1, timeout_s=30)
    finally:
        cb.stop()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(20)
        if worker.stderr:
            worker.stderr.close()


def test_gate_serve_outlives_a_12_s_redis_outage(own: OwnRedis, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "REDIS_URL": own.url, "GATE_DATA_DIR": str(tmp_path / "var"), "PYTHONPATH": str(ROOT)}
    serve = subprocess.Popen([sys.executable, "-m", "gate.cli", "serve", "--port", str(port), "--workers", "1"],
                             env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_ready(f"{base}/readyz", timeout_s=90), "gate serve never became ready"
        own.kill()
        down_until = time.monotonic() + 12
        statuses = set()
        while time.monotonic() < down_until:
            statuses.add(requests.get(f"{base}/healthz", timeout=5).status_code)
            statuses.add(requests.get(f"{base}/readyz", timeout=5).status_code * 10)
            time.sleep(0.5)
        assert serve.poll() is None, "gate serve stopped during the outage"
        assert statuses == {200, 5030}, statuses  # up, and honest that it is not ready
        own.start()
        assert wait_ready(f"{base}/readyz", timeout_s=60), "not ready again after Redis came back"
        assert serve.poll() is None
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        out = serve.communicate(timeout=60)[0].decode(errors="replace")
    assert "keeps dying; stopping" not in out, out
    assert "worker-1 exited" not in out, out  # the worker waited the outage out instead of dying


def test_the_supervisor_backs_off_instead_of_giving_up() -> None:
    from gate.cli.serve import restart_delay

    delays = [restart_delay(n) for n in range(1, 30)]
    assert delays[0] < 1 and delays == sorted(delays) and 20 <= delays[-1] <= 60


# -- 2. the decision and its callback job are one step ------------------------------------------------------

def test_redis_dying_at_any_command_of_finalize_never_leaves_a_decided_build_without_its_callback(  # noqa: E501
        own: OwnRedis, own_settings: Settings) -> None:
    rt = Runtime(own_settings)
    t, _ = rt.record.add_tenant("store-a", "http://127.0.0.1:9/cb")
    for n in range(0, 30):
        build_id = f"b_finalize{n:02d}"
        rt.record.create_build(Build(build_id=build_id, tenant=t.name, status="running", verdict_token=build_id,
                                     received_at=time.time(), attempts=1).to_row())
        build = rt.build(build_id)
        assert build is not None
        verdict = failure_verdict(build, rt.policy_for(t), "GATE-CHECK-FAILED", "x.", "x。")
        fresh = Runtime(own_settings)
        with dies_before_command(own, n) as seen:
            try:
                finalize(fresh, build, "failed", verdict)
            except redis.RedisError:
                pass
        if not own.alive:
            own.start()
        after = rt.build(build_id)
        assert after is not None
        if after.status == "failed":
            if not _callback_jobs(rt, build_id):  # decided in the record, Redis died before the callback job
                from workers.reaper import CALLBACK_GRACE_S, reap

                assert (build_id, "callback queued again") in reap(rt, now=time.time() + CALLBACK_GRACE_S + 1)
            assert len(_callback_jobs(rt, build_id)) == 1, f"decided with no callback job (Redis died before send {n})"
        else:
            assert not _callback_jobs(rt, build_id)
        if seen[0] <= n:  # finalize finished before the n-th send: every point was tried
            break
    else:
        raise AssertionError("finalize sent more than 30 commands")


# -- 3. a webhook-id claim ends in a stored build or is released --------------------------------------------

def test_a_webhook_claim_never_outlives_a_failure_at_any_step(own: OwnRedis, own_settings: Settings) -> None:
    rt = Runtime(own_settings)
    t, _ = rt.record.add_tenant("store-a", "http://127.0.0.1:9/cb")
    tenant = {"name": t.name, "secret": t.secret}
    client = _app(own_settings).test_client()
    for n in range(0, 40):
        msg_id = f"msg_claim{n:02d}"
        body, ctype = multipart(fixture_apk("clean"), {"build": {"id": f"p{n}"}, "listing": LISTING})
        with dies_before_command(own, n) as seen:
            first = client.post(f"/webhooks/v1/{t.name}/builds", data=body,
                                headers={**signed(t.secret, body, msg_id), "content-type": ctype})
        if not own.alive:
            own.start()
        assert first.status_code in (202, 503), (n, first.status_code, first.get_data(as_text=True))
        # the store retries with the same webhook-id until it is answered 202
        deadline = time.monotonic() + own_settings.webhook_claim_ttl_s + 5
        while True:
            again = client.post(f"/webhooks/v1/{t.name}/builds", data=body,
                                headers={**signed(t.secret, body, msg_id), "content-type": ctype})
            if again.status_code == 202 or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        assert again.status_code == 202, (n, again.status_code, again.get_data(as_text=True))
        build = rt.build(again.json["build_id"])
        assert build is not None and build.job_id, (n, build)
        assert Queue("analysis", connection=rt.rq).fetch_job(build.job_id) is not None
        if first.status_code == 202:
            assert first.json["build_id"] == again.json["build_id"]
        if seen[0] <= n:
            break
    else:
        raise AssertionError("the webhook sent more than 40 commands")
    del tenant


# -- 4. slow headers ----------------------------------------------------------------------------------------

def test_slow_header_senders_do_not_starve_healthz_or_a_signed_webhook(settings, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    from gate.cli.serve import gunicorn_argv

    port = free_port()
    env = {**os.environ, **settings.env(), "GATE_HEADER_TIMEOUT_S": "2", "PYTHONPATH": str(ROOT)}
    web = subprocess.Popen([*gunicorn_argv("127.0.0.1", port, processes=1), "gate.web.app:create_app()"], env=env,
                           cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    slow: list[socket.socket] = []
    stop = threading.Event()
    try:
        assert wait_ready(f"http://127.0.0.1:{port}/healthz", timeout_s=30)
        for _ in range(16):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)

        def trickle() -> None:
            while not stop.is_set():
                for s in slow:
                    try:
                        s.sendall(b"X-Slow: 1\r\n")
                    except OSError:
                        pass
                stop.wait(1)

        threading.Thread(target=trickle, daemon=True).start()
        time.sleep(1)
        started = time.monotonic()
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
        body, ctype = multipart(fixture_apk("clean"), {"build": {"id": "honest"}, "listing": LISTING})
        hook = requests.post(f"http://127.0.0.1:{port}/webhooks/v1/{tenant['name']}/builds", data=body,
                             headers={**signed(tenant["secret"], body), "content-type": ctype}, timeout=30)
        took = time.monotonic() - started
        assert health.status_code == 200 and hook.status_code == 202, (health.status_code, hook.text)
        assert took < 15, f"answered only after {took:.1f} s"
    finally:
        stop.set()
        for s in slow:
            s.close()
        _stop(web)


def test_gate_serve_compose_and_k8s_run_the_header_deadline_worker() -> None:
    from gate.cli.serve import gunicorn_argv

    assert "gate.web.gunicorn_worker.HeaderDeadlineWorker" in gunicorn_argv("127.0.0.1", 8000, processes=2)
    for path in ("deploy/docker-compose.yml", "deploy/k8s/web.yaml", "deploy/Dockerfile"):
        assert "gate.web.gunicorn_worker.HeaderDeadlineWorker" in (ROOT / path).read_text(), path


# -- 5. SSRF through a URL-parser mismatch ------------------------------------------------------------------

class _Internal:
    """An "internal service" on 127.0.0.1 that counts the requests it gets."""

    def __init__(self) -> None:
        self.hits = 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.hits += 1
                payload = b"secret internal answer"
                self.send_response(200)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *a: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_a_backslash_userinfo_url_never_reaches_another_address(tmp_path: Path) -> None:
    from gate.service.artifact import ArtifactError, fetch, host_allowed

    internal = _Internal()
    try:
        for url in (f"http://127.0.0.1:{internal.port}\\@127.0.0.2/x",
                    f"http://127.0.0.1:{internal.port}@127.0.0.2/x",
                    f"http://u:p@127.0.0.2:{internal.port}/x"):
            assert not host_allowed(url, ["127.0.0.2"]), url
            with pytest.raises(ArtifactError) as err:
                fetch(url, tmp_path / "a.apk", allowed=["127.0.0.2"], sha256="0" * 64, size=None,
                      max_bytes=1 << 20, timeout_s=3)
            assert "200" not in str(err.value) and "22 bytes" not in str(err.value), str(err.value)
        assert internal.hits == 0
    finally:
        internal.server.shutdown()
        internal.server.server_close()


def test_the_connected_address_is_checked_for_an_allow_listed_literal_too(tmp_path: Path) -> None:
    from gate.service import artifact

    internal = _Internal()
    try:
        # the allow-list names 127.0.0.2; a connection that lands on 127.0.0.1 must be refused
        real = artifact._host_port

        def lying(url: str) -> tuple[str, int | None, str]:
            host, port, scheme = real(url)
            return ("127.0.0.2", port, scheme)

        artifact._host_port = lying  # type: ignore[assignment]
        try:
            with pytest.raises(artifact.ArtifactError) as err:
                artifact.fetch(f"http://127.0.0.1:{internal.port}/x", tmp_path / "a.apk",
                               allowed=["127.0.0.2", "127.0.0.1"], sha256="0" * 64, size=None, max_bytes=1 << 20,
                               timeout_s=3)
        finally:
            artifact._host_port = real  # type: ignore[assignment]
        assert "reached another address" in str(err.value), str(err.value)
        assert internal.hits == 0  # refused after connecting, before a byte of the request was sent
        assert "200" not in str(err.value) and "22" not in str(err.value), str(err.value)
    finally:
        internal.server.shutdown()
        internal.server.server_close()


# -- 6. the rate limit: strangers cannot spend a store's budget ---------------------------------------------

def _post_from(source: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(source, 0))
    try:
        conn.request("POST", path, body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def test_unsigned_floods_do_not_lock_a_store_out(settings, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    web = start_gunicorn(settings, port, {"GATE_RATE_LIMIT_PER_MINUTE": "20"})
    try:
        path = f"/webhooks/v1/{tenant['name']}/builds"
        junk = b'{"x": 1}'
        answers = [_post_from("127.0.0.3", port, path, junk, {"content-type": "application/json"})
                   for _ in range(60)]
        assert 429 in answers and set(answers) <= {401, 429}, answers
        body, ctype = multipart(fixture_apk("clean"), {"build": {"id": "real"}, "listing": LISTING})
        real = _post_from("127.0.0.1", port, path, body, {**signed(tenant["secret"], body), "content-type": ctype})
        assert real == 202
        # and the store's own signed requests still count against its budget
        codes = []
        for i in range(25):
            b, c = multipart(fixture_apk("clean"), {"build": {"id": f"r{i}"}, "listing": LISTING})
            codes.append(_post_from("127.0.0.1", port, path, b, {**signed(tenant["secret"], b), "content-type": c}))
        assert codes.count(202) == 19 and codes[-1] == 429, codes
    finally:
        _stop(web)


# -- 7. deeply nested JSON ----------------------------------------------------------------------------------

def test_deeply_nested_json_is_refused_naming_the_limit(client, tenant) -> None:  # type: ignore[no-untyped-def]
    body = b'{"listing": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    resp = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body,
                       headers={**signed(tenant["secret"], body), "content-type": "application/json"})
    assert resp.status_code in (400, 422), resp.status_code
    assert resp.mimetype == "application/problem+json"
    assert "nested" in resp.json["detail"] and "64" in resp.json["detail"], resp.json
    meta = json.dumps({"build": {"id": "x"}, "listing": {"a": json.loads("[" * 500 + "]" * 500)}})
    mbody, ctype = multipart(fixture_apk("clean"), meta)
    resp = client.post(f"/webhooks/v1/{tenant['name']}/builds", data=mbody,
                       headers={**signed(tenant["secret"], mbody), "content-type": ctype})
    assert resp.status_code in (400, 422) and "nested" in resp.json["detail"], resp.get_data(as_text=True)


# -- 8. Redis unavailable at request time -------------------------------------------------------------------

def test_redis_down_at_request_time_answers_503_with_retry_after_and_reads_still_answer(
        own: OwnRedis, own_settings: Settings) -> None:
    rt = Runtime(own_settings)
    t, token = rt.record.add_tenant("store-a", "http://127.0.0.1:9/cb")
    port = free_port()
    web = start_gunicorn(own_settings, port)
    try:
        own.kill()
        body, ctype = multipart(fixture_apk("clean"), {"build": {"id": "x"}, "listing": LISTING})
        hook = requests.post(f"http://127.0.0.1:{port}/webhooks/v1/{t.name}/builds", data=body,
                             headers={**signed(t.secret, body), "content-type": ctype}, timeout=30)
        api = requests.get(f"http://127.0.0.1:{port}/api/v1/builds/b_000", timeout=30,
                           headers={"authorization": f"Bearer {token}"})
        assert hook.status_code == 503, (hook.status_code, hook.text)
        assert hook.headers.get("Retry-After", "").isdigit()
        assert hook.headers["content-type"].startswith("application/problem+json")
        # the store's reads come from the record, which Redis being down does not touch
        assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")
    finally:
        _stop(web)


# -- 9. listing strings are bounded -------------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("app_name", "A" * 100_000), ("category", "c" * 10_000), ("description", "d" * 1_000_000),
    ("developer.name", "n" * 10_000), ("privacy_policy.url", "https://x/" + "p" * 10_000),
    ("sdk_list", ["s" * 10_000]),
], ids=["app_name", "category", "description", "developer.name", "privacy_policy.url", "sdk_list"])
def test_an_overlong_listing_field_is_refused_naming_it(client, tenant, field: str, value: Any) -> None:  # type: ignore[no-untyped-def]
    listing = json.loads(json.dumps(LISTING))
    if "." in field:
        outer, inner = field.split(".")
        listing[outer] = {**(listing.get(outer) or {}), inner: value}
    else:
        listing[field] = value
    resp = post_build(client, tenant, fixture_apk("clean"), listing)
    assert resp.status_code == 422, resp.status_code
    assert resp.json["field"].startswith(f"listing.{field}"), resp.json


def test_listing_limits_are_in_the_openapi_document(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/openapi.json").json
    listing = doc["components"]["schemas"]["Listing"]["properties"]
    assert listing["app_name"]["maxLength"] >= 64
    assert listing["description"]["maxLength"] >= 1000


def test_a_lapsed_claim_taken_by_a_retry_is_not_stored_twice(rt: Runtime) -> None:
    from gate.record.store import ClaimLost

    t, _ = rt.record.add_tenant("store-a", "http://127.0.0.1:9/cb")
    assert rt.store.claim_webhook(t.name, "msg_slow", "b_first", 1) is None
    time.sleep(1.2)  # the first delivery is slow; its claim lapses and the store's retry claims the id
    assert rt.store.claim_webhook(t.name, "msg_slow", "b_retry", 30) is None
    with pytest.raises(ClaimLost):  # the first delivery's build is in the record; its claim is not its own now
        rt.store.commit_claim(t.name, "msg_slow", "b_first", 3600)
    assert rt.store.claim_webhook(t.name, "msg_slow", "b_other", 30) == "b_retry"


def test_a_callback_job_lost_between_dequeue_and_start_is_queued_again_once(  # type: ignore[no-untyped-def]
        rt, tenant, workers, callback_server) -> None:
    """RQ moves a dequeued job to its work-in-progress set before marking it started; a worker (or Redis)
    dying in between leaves the job `queued` on no queue, and RQ's cleanup skips it: the callback would never
    go out. Seen once in the 30 s outage of bench/chaos.py; here the dequeue is RQ's own, then nothing runs."""
    from workers.reaper import CALLBACK_GRACE_S, reap

    t = rt.record.get_tenant(tenant["name"])
    rt.record.create_build(Build(build_id="b_lostcb", tenant=t.name, status="running", verdict_token="tk",
                                 received_at=time.time(), attempts=1).to_row())
    build = rt.build("b_lostcb")
    assert finalize(rt, build, "done", failure_verdict(build, rt.policy_for(t), "GATE-CHECK-FAILED", "x.", "x。"))
    queue = Queue("callbacks", connection=rt.rq)
    job, _ = Queue.dequeue_any([queue], timeout=None, connection=rt.rq)  # as a worker does, then it dies
    assert job.args == ("b_lostcb",) and queue.count == 0
    assert reap(rt) == []  # not yet: the callback may simply be on its way
    assert reap(rt, now=time.time() + CALLBACK_GRACE_S + 1) == [("b_lostcb", "callback requeued")]
    workers.burst()
    callback_server.wait_for(1)
    assert reap(rt, now=time.time() + CALLBACK_GRACE_S + 1) == []  # delivered: nothing more to do
    time.sleep(0.5)
    assert len(callback_server.received) == 1

"""The gate across machines: the databases, the web service and two workers each on a host of their own (network
namespaces made by the test, joined by a bridge), the store (this test: webhooks out, artifacts and callbacks
in) on a fifth address. One worker host dies in the middle of an analysis, as a machine does when its power is
cut: its network goes, then every process on it is SIGKILLed. Every build must still be decided exactly once,
with the verdict the same APK gets offline, and every callback delivered once.

The kill lands mid-analysis every run, not by timing: one build comes as an artifact URL, and the store's
artifact server holds its answer to the first fetch, so the worker that took the build (told by the address it
fetched from) is inside the analysis job, the build `running`, when its host is killed. The reaper on the web
host then sees the job's heartbeats stop and queues the build once more; the surviving host analyses it.

Every host gets REDIS_URL and DATABASE_URL (a PostgreSQL of the test's own on the database host), so the test
holds whichever of the two keeps the record.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from gate.service import webhook_signing
from gate.service.settings import Settings
from tests.conftest import CORPUS, LISTINGS, ROOT, fixture_apk, scan_apk
from tests.service import hosts
from tests.service.conftest import CallbackServer, multipart, signed

pytestmark = pytest.mark.slow

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))
WEB_PORT = 8000
# uploads: fixtures of distinct packages (one build per package keeps recurrence out of the verdicts)
UPLOADS = ("debuggable", "self-start", "exported", "bg-location", "cleartext", "sdk-calls", "preconsent",
           "fake-wechat")
CORPUS_UPLOADS = ("apks/mobpush-demo.apk", "apks/mob-sharesdk-samplefresh.apk")
HELD = "clean"  # the build sent as an artifact URL, whose first fetch is held until its worker host is dead


class ArtifactHost:
    """The store's artifact server: serves APKs by name, records which host fetched what, and holds the answer
    to the first fetch of ``held`` until :meth:`release`."""

    def __init__(self, address: str, files: dict[str, bytes], held: str) -> None:
        self.files = files
        self.held = held
        self.fetches: list[tuple[str, str]] = []  # (name, the fetching host's address)
        self.holding = threading.Event()
        self._released = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                name = self.path.lstrip("/")
                outer.fetches.append((name, self.client_address[0]))
                if name == outer.held and not outer._released.is_set():
                    outer.holding.set()
                    outer._released.wait(120)
                body = outer.files.get(name)
                self.send_response(200 if body is not None else 404)
                self.send_header("content-length", str(len(body or b"")))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a held answer to a dead host must not hold the test's teardown
        self.url = f"http://{address}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def release(self) -> None:
        self._released.set()

    def stop(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Cluster:
    network: hosts.Network
    db: hosts.Host
    web: hosts.Host
    workers: list[hosts.Host]
    base: str  # the web host's URL, as the store reaches it
    env: dict[str, str]
    data_dir: Path  # shared by the web and worker hosts, as an NFS volume would be
    callbacks: CallbackServer
    tenant: dict[str, str] = field(default_factory=dict)

    def logs(self) -> str:
        return "\n".join(h.log_tail() for h in self.network.hosts)

    def gate(self, host: hosts.Host, *args: str) -> str:
        done = host.run([sys.executable, "-m", "gate.cli", *args], self.env, cwd=ROOT)
        assert done.returncode == 0, f"gate {args[0]} on {host.role}: {done.stdout}{done.stderr}"
        return done.stdout


def _tools() -> tuple[Path, str, str]:
    """PostgreSQL's binaries, the account to run it as, redis-server; skips naming what this machine lacks."""
    reason = hosts.why_not()
    pg, user = hosts.postgres_bin(), hosts.service_user()
    if reason is None and pg is None:
        reason = "no PostgreSQL server binaries (initdb, postgres, pg_ctl; Debian package postgresql)"
    if reason is None and (user is None or shutil.which("runuser") is None):
        reason = "no unprivileged account or no runuser to start PostgreSQL as"
    try:
        from gate.record.embedded import redis_server_binary

        redis_bin = redis_server_binary()
    except Exception as exc:  # noqa: BLE001 - any failure to find one is the reason to skip
        reason = reason or f"no redis-server binary ({exc})"
    if reason or pg is None or user is None:
        pytest.skip(f"cannot make test hosts: {reason}")
    return pg, user, redis_bin


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    pg_bin, pg_user, redis_bin = _tools()
    hosts.remove_leftovers()
    network = hosts.Network(tmp_path / "logs")
    # PostgreSQL refuses root, and the test's tmp_path is private to root: its files go where its account can go
    pg_base = hosts.private_dir("pg")
    callbacks: CallbackServer | None = None
    db: hosts.Host | None = None
    try:
        db = network.add("db", 2)
        web = network.add("web", 3)
        workers = [network.add("worker-a", 11), network.add("worker-b", 12)]
        redis_url = hosts.start_redis(db, redis_bin, tmp_path / "redis")
        database_url = hosts.start_postgres(db, pg_bin, pg_user, pg_base, network)
        base = f"http://{web.address}:{WEB_PORT}"
        settings = Settings(redis_url=redis_url, data_dir=tmp_path / "shared", public_url=base,
                            callback_retry_intervals_s=(1, 1, 2, 2), callback_timeout_s=3, job_heartbeat_s=1,
                            artifact_timeout_s=30)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATE_")}
        env.update(settings.env(), DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
        callbacks = CallbackServer(network.address).start()
        c = Cluster(network, db, web, workers, base, env, settings.data_dir, callbacks)

        # the operator's deploy step, before any process uses the record: over the network, on the db host
        migrated = json.loads(c.gate(web, "migrate"))
        assert migrated["database"].startswith("postgresql") and migrated["revision"], migrated
        web.start([sys.executable, "-m", "gate.cli", "serve", "--host", web.address, "--port", str(WEB_PORT),
                   "--workers", "0"], env, "serve", cwd=ROOT)
        for w in workers:
            w.start([sys.executable, "-m", "gate.cli", "worker"], env, "worker", cwd=ROOT)
        hosts.wait_for("the web service with 2 workers",
                       lambda: requests.get(f"{base}/readyz", timeout=2).json().get("workers") == 2, 90, web)
        creds = json.loads(c.gate(web, "tenants", "add", "store-mh", "--callback-url", callbacks.url,
                                  "--allowed-host", network.address))
        c.tenant = {"name": creds["tenant"], "secret": creds["webhook_secret"], "token": creds["api_token"]}
        yield c
    finally:
        if callbacks is not None:
            callbacks.stop()
        for host in network.hosts:
            if host is not db:
                host.stop(wait_s=10)
        if db is not None:
            hosts.stop_postgres(db, pg_bin, pg_user, pg_base)
        network.close()
        shutil.rmtree(pg_base, ignore_errors=True)


def _post(c: Cluster, body: bytes, ctype: str) -> str:
    headers = {**signed(c.tenant["secret"], body), "content-type": ctype}
    resp = requests.post(f"{c.base}/webhooks/v1/{c.tenant['name']}/builds", data=body, headers=headers, timeout=30)
    assert resp.status_code == 202, resp.text
    return str(resp.json()["build_id"])


def _upload(c: Cluster, apk: Path) -> str:
    body, ctype = multipart(apk, {"build": {"id": apk.stem}, "listing": LISTING})
    return _post(c, body, ctype)


def _by_artifact(c: Cluster, url: str, data: bytes) -> str:
    body = json.dumps({"build": {"id": "held"}, "listing": LISTING,
                       "artifact": {"url": url, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}})
    return _post(c, body.encode(), "application/json")


def _api(c: Cluster, build_id: str) -> dict[str, Any]:
    resp = requests.get(f"{c.base}/api/v1/builds/{build_id}", timeout=10,
                        headers={"authorization": f"Bearer {c.tenant['token']}"})
    assert resp.status_code == 200, resp.text
    doc: dict[str, Any] = resp.json()
    return doc


def _wait_decided(c: Cluster, build_ids: list[str], timeout_s: float) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    docs: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        docs = {b: _api(c, b) for b in build_ids}
        if all(d["status"] in ("done", "failed") for d in docs.values()):
            return docs
        time.sleep(0.5)
    waiting = {b: d["status"] for b, d in docs.items() if d["status"] not in ("done", "failed")}
    raise AssertionError(f"builds not decided after {timeout_s:.0f} s: {waiting}")


def _verified(received: dict[str, Any], secret: str) -> dict[str, Any]:
    env = webhook_signing.read_headers(received["headers"])
    signer = webhook_signing.Signer(secret, env.msg_id, env.timestamp)
    signer.update(received["body"])
    assert webhook_signing.matches(env, signer.signature()), "callback signature does not verify"
    body: dict[str, Any] = json.loads(received["body"])
    return body


def _decided_count(metrics: str) -> float:
    return sum(float(m.group(1)) for m in re.finditer(r"^gate_verdicts_total\{[^}]*\} (\S+)$", metrics, re.M))


def _findings(verdict: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["rule_id"], f["outcome"]) for f in verdict["findings"])


def test_a_worker_host_killed_mid_analysis_loses_nothing(cluster: Cluster) -> None:
    c = cluster
    apks = [fixture_apk(n) for n in UPLOADS] + [CORPUS / p for p in CORPUS_UPLOADS if (CORPUS / p).is_file()]
    held = fixture_apk(HELD).read_bytes()
    artifacts = ArtifactHost(c.network.address, {"held.apk": held}, held="held.apk")
    try:
        _run(c, apks, held, artifacts)
    except BaseException:
        print(c.logs())  # shown with the failure: what each host said
        raise
    finally:
        artifacts.stop()


def _run(c: Cluster, apks: list[Path], held: bytes, artifacts: ArtifactHost) -> None:
    by_address = {h.address: h for h in c.workers}
    expected: dict[str, dict[str, Any]] = {}

    # some uploads, the held build, more uploads: the workers are busy when one of them dies
    for apk in apks[:3]:
        expected[_upload(c, apk)] = scan_apk(apk).to_dict()
    held_id = _by_artifact(c, f"{artifacts.url}/held.apk", held)
    expected[held_id] = scan_apk(fixture_apk(HELD)).to_dict()
    for apk in apks[3:6]:
        expected[_upload(c, apk)] = scan_apk(apk).to_dict()

    assert artifacts.holding.wait(60), "no worker fetched the held artifact"
    victim = by_address[artifacts.fetches[0][1]]
    [survivor] = [h for h in c.workers if h is not victim]
    assert _api(c, held_id)["status"] == "running"  # the gate's own view: mid-analysis on the victim
    killed = victim.power_off()
    assert killed, f"nothing was running on {victim.role}"
    artifacts.release()

    # the web host keeps taking builds with one worker host gone
    for apk in apks[6:]:
        expected[_upload(c, apk)] = scan_apk(apk).to_dict()
    assert len(expected) == len(apks) + 1  # one build per webhook

    docs = _wait_decided(c, list(expected), timeout_s=90)
    for build_id, doc in docs.items():
        want = expected[build_id]
        assert doc["status"] == "done", (build_id, doc["status"], doc.get("findings"))
        assert doc["verdict"] == want["verdict"] and _findings(doc) == _findings(want), build_id
        assert doc["app"]["sha256"] == want["app"]["sha256"]

    # the held build: fetched by the victim, then once more by the survivor after the reaper queued it again
    assert [a for n, a in artifacts.fetches if n == "held.apk"] == [victim.address, survivor.address]

    # every callback delivered, signed, exactly once per build; nothing decided twice
    c.callbacks.wait_for(len(expected), timeout_s=30)
    time.sleep(1.5)  # a duplicate would arrive now
    events = [_verified(r, c.tenant["secret"]) for r in c.callbacks.received]
    verdicts = [e for e in events if e["type"] == "build.verdict"]
    assert sorted(e["data"]["build_id"] for e in verdicts) == sorted(expected)
    for event in verdicts:
        assert event["data"]["verdict"] == docs[event["data"]["build_id"]]["verdict"]
    for build_id in expected:
        assert [a["result"] for a in _api(c, build_id)["callback_attempts"]] == ["delivered"], build_id
    metrics = requests.get(f"{c.base}/metrics", timeout=10).text
    assert _decided_count(metrics) == len(expected)
    # no upload or half-fetched artifact left on the shared volume, the dead host's included
    assert sorted(p.name for p in (c.data_dir / "apks").iterdir()) == []

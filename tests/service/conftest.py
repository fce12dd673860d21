"""Service fixtures: a real Redis, a real HTTP server for callbacks, real worker processes."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from gate.record.build import Build
from gate.record.embedded import EmbeddedRedis
from gate.service import webhook_signing
from gate.service.runtime import Runtime
from gate.service.settings import Settings
from tests.conftest import ROOT
from tests.record.conftest import PG_URL, pg_schema

TEST_DB_URL = os.environ.get("GATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """CI's Redis (127.0.0.1:6379, database 15, which nothing else uses); else an embedded real one."""
    try:
        redis.Redis.from_url(TEST_DB_URL, socket_connect_timeout=1).ping()
        yield TEST_DB_URL
        return
    except (redis.RedisError, OSError):
        pass
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield server.start()
    server.stop()


@pytest.fixture()
def settings(redis_url: str, tmp_path: Path) -> Settings:
    redis.Redis.from_url(redis_url).flushdb()
    return Settings(redis_url=redis_url, data_dir=tmp_path / "var", public_url="http://gate.test",
                    callback_retry_intervals_s=(1, 1, 1, 2, 2), callback_timeout_s=3, job_heartbeat_s=1)


@pytest.fixture()
def rt(settings: Settings) -> Runtime:
    return Runtime(settings)


@pytest.fixture()
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from gate.web.app import create_app

    return create_app({f: getattr(settings, f) for f in settings.__dataclass_fields__})


@pytest.fixture()
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


class CallbackServer:
    """The store's callback endpoint: a real HTTP server on loopback that records what it receives."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        with socket.socket() as s:
            s.bind((host, 0))
            self.port = s.getsockname()[1]
        self.received: list[dict[str, Any]] = []
        self.status = 204
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/gate-callback"

    def start(self) -> CallbackServer:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                self.send_response(outer.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.allow_reuse_address = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.received]

    def wait_for(self, count: int, timeout_s: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(self.received) < count:
            time.sleep(0.05)
        assert len(self.received) >= count, f"got {len(self.received)} callbacks, wanted {count}"
        return self.events()


@pytest.fixture()
def callback_server() -> Iterator[CallbackServer]:
    server = CallbackServer().start()
    yield server
    server.stop()


@pytest.fixture()
def tenant(rt: Runtime, callback_server: CallbackServer) -> dict[str, str]:
    t, token = rt.record.add_tenant("store-a", callback_server.url, allowed_hosts=["127.0.0.1"])
    return {"name": t.name, "secret": t.secret, "token": token}


def multipart(apk: Path | bytes | None, metadata: Any, filename: str = "app.apk") -> tuple[bytes, str]:
    """Encode a multipart body as a store's HTTP client would."""
    import requests

    files: dict[str, Any] = {}
    if metadata is not None:
        files["metadata"] = (None, metadata if isinstance(metadata, str) else json.dumps(metadata), "application/json")
    if apk is not None:
        files["apk"] = (filename, apk if isinstance(apk, bytes) else apk.read_bytes(), "application/octet-stream")
    prepared = requests.Request("POST", "http://x/", files=files).prepare()
    return bytes(prepared.body), prepared.headers["Content-Type"]  # type: ignore[arg-type]


def signed(secret: str, body: bytes, msg_id: str | None = None, timestamp: int | None = None) -> dict[str, str]:
    return webhook_signing.headers(secret, msg_id or f"msg_{os.urandom(6).hex()}", body, timestamp)


def post_build(client: Any, tenant: dict[str, str], apk: Path | bytes | None, listing: Any, *,
               msg_id: str | None = None, platform_id: str = "p-1") -> Any:
    body, ctype = multipart(apk, {"build": {"id": platform_id}, "listing": listing})
    headers = signed(tenant["secret"], body, msg_id)
    headers["content-type"] = ctype
    return client.post(f"/webhooks/v1/{tenant['name']}/builds", data=body, headers=headers)


class Workers:
    """Real `gate worker` processes, as `gate serve` starts them."""

    def __init__(self, settings: Settings) -> None:
        self.env = {**os.environ, **settings.env(), "PYTHONPATH": str(ROOT)}
        self.procs: list[subprocess.Popen[bytes]] = []

    def burst(self, timeout_s: float = 60) -> None:
        subprocess.run([sys.executable, "-m", "gate.cli", "worker", "--burst"], env=self.env, cwd=ROOT,
                       check=True, timeout=timeout_s, capture_output=True)

    def start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-m", "gate.cli", "worker"], env=self.env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and its work horse (RQ puts the horse in a process group of its own)."""
        import psutil

        family = psutil.Process(proc.pid).children(recursive=True)
        for child in family:
            child.kill()
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        psutil.wait_procs(family, timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


@pytest.fixture()
def workers(settings: Settings) -> Iterator[Workers]:
    w = Workers(settings)
    yield w
    w.stop_all()


def wait_status(rt: Runtime, build_id: str, statuses: tuple[str, ...], timeout_s: float = 30,
                poll_s: float = 0.05) -> Build:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        build = rt.build(build_id)
        if build and build.status in statuses:
            return build
        time.sleep(poll_s)
    build = rt.build(build_id)
    raise AssertionError(f"build {build_id} did not reach {statuses}: {build}; {_job_state(rt, build)}")


def _job_state(rt: Runtime, build: Build | None) -> str:
    """What RQ says of the build's analysis job (why a build stayed queued)."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    if build is None or not build.job_id:
        return "no job"
    try:
        job = Job.fetch(build.job_id, connection=rt.rq)
    except NoSuchJobError:
        return f"job {build.job_id} is gone"
    return f"job {job.id}: {job.get_status()}, result {job.return_value()!r}, {(job.exc_info or '')[-600:]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(settings: Settings, port: int, extra_env: dict[str, str] | None = None,
                   threads: int = 4) -> subprocess.Popen[bytes]:
    """The web process as `gate serve` runs it (gunicorn, the header deadline worker), one process, on loopback;
    ready when returned."""
    from gate.cli.serve import gunicorn_argv

    env = {**os.environ, **settings.env(), **(extra_env or {}), "PYTHONPATH": str(ROOT)}
    web = subprocess.Popen(
        [*gunicorn_argv("127.0.0.1", port, processes=1, threads=threads), "gate.web.app:create_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if wait_ready(f"http://127.0.0.1:{port}/healthz", timeout_s=30):
        return web
    web.kill()
    raise AssertionError("gunicorn did not come up: " + (web.stderr.read() if web.stderr else b"").decode(
        errors="replace")[-2000:])


def wait_ready(url: str, timeout_s: float = 60) -> bool:
    """Poll ``url`` until it answers 200; False if it never does within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


@pytest.fixture(params=["sqlite", "postgresql"])
def db_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """The service's settings on each database: the SQLite file of the data directory, or a PostgreSQL schema
    of its own (dropped afterwards)."""
    if request.param == "sqlite":
        yield settings
        return
    with pg_schema() as (schema, _admin):
        yield replace(settings, database_url=f"{PG_URL}?options=-csearch_path%3D{schema}")


@pytest.fixture()
def runtimes() -> Iterator[list[Runtime]]:
    """Runtimes made by a test; their database connections are closed before its schema is dropped."""
    made: list[Runtime] = []
    yield made
    for rt in made:
        if "record" in rt.__dict__:
            rt.record.engine.dispose()


# The browser tests' fixtures: Debian's Chromium driven by selenium, and the app on a real HTTP server.
@pytest.fixture()
def browser(tmp_path):  # type: ignore[no-untyped-def]
    os.environ["SE_OFFLINE"] = "true"  # selenium must not try to download a browser or a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--lang=zh-CN",
    ):
        options.add_argument(arg)
    # what the browser says it reads, in Accept-Language: a Chinese reader's
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


@pytest.fixture()
def served(app):  # type: ignore[no-untyped-def]
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()

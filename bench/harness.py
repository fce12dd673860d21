"""What the service benchmarks share: a store's callback endpoint that records arrivals, and `gate serve` on
an embedded Redis in a fresh data directory, ready and with one store registered."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from gate.service import webhook_signing  # the benchmarks put the repository on sys.path first

ROOT = Path(__file__).resolve().parents[1]
LISTING = json.loads((ROOT / "tests" / "fixtures" / "listings" / "complete.json").read_text(encoding="utf-8"))


def upload(base: str, tenant: str, build_id: str, name: str, apk: bytes) -> tuple[requests.PreparedRequest, bytes]:
    """A store's build upload to the webhook as its pipeline sends it (multipart: the metadata with the complete
    listing, then the APK), prepared once; the body is what each attempt signs with `sign`."""
    metadata = json.dumps({"build": {"id": build_id}, "listing": LISTING})
    prepared = requests.Request("POST", f"{base}/webhooks/v1/{tenant}/builds", files={
        "metadata": (None, metadata, "application/json"),
        "apk": (name, apk, "application/octet-stream")}).prepare()
    return prepared, bytes(prepared.body)  # type: ignore[arg-type]


def sign(prepared: requests.PreparedRequest, body: bytes, secret: str, msg_id: str) -> None:
    """Sign (again: the timestamp is fresh) an upload from `upload` with the store's webhook secret."""
    prepared.headers.update(webhook_signing.headers(secret, msg_id, body))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


class Callbacks:
    """The store's callback endpoint on loopback: first arrival per build id, and ids that came twice."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.seen_twice: list[str] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                data = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))["data"]
                with outer.lock:
                    if data["build_id"] in outer.arrivals:
                        outer.seen_twice.append(data["build_id"])
                    outer.arrivals.setdefault(data["build_id"], time.monotonic())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a: object) -> None:
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/cb"
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


class GateServe:
    """`gate serve` with ``workers`` workers in a fresh temporary data directory (embedded Redis)."""

    def __init__(self, workers: int, *, prefix: str, extra_env: dict[str, str] | None = None) -> None:
        tmp = Path(tempfile.mkdtemp(prefix=prefix))
        self.env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        self.env.update(GATE_DATA_DIR=str(tmp / "var"), PYTHONPATH=str(ROOT), **(extra_env or {}))
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.gate = [sys.executable, "-m", "gate.cli"]
        self.proc = subprocess.Popen([*self.gate, "serve", "--port", str(port), "--workers", str(workers)],
                                     env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)

    def add_tenant(self, name: str, callback_url: str) -> dict[str, Any]:
        """Registers a store; returns its credentials (webhook_secret, api_token)."""
        out = subprocess.run([*self.gate, "tenants", "add", name, "--callback-url", callback_url], env=self.env,
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        return dict(json.loads(out))

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(60)

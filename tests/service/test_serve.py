"""The README's service commands, run for real: `gate serve` on its embedded Redis, `gate tenants add`,
`gate submit --wait`, and the store's callback endpoint receiving the verdict."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import requests

from tests.conftest import LISTINGS, ROOT, fixture_apk
from tests.service.conftest import CallbackServer, free_port, wait_ready


def test_gate_serve_on_embedded_redis_end_to_end(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("GATE_")}
    env.update(GATE_DATA_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT), XDG_STATE_HOME=str(tmp_path / "state"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gate = [sys.executable, "-m", "gate.cli"]
    serve = subprocess.Popen([*gate, "serve", "--port", str(port), "--workers", "1"], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    callbacks = CallbackServer().start()
    try:
        wait_ready(f"{base}/readyz")
        assert requests.get(f"{base}/readyz", timeout=2).json()["workers"] == 1
        assert (tmp_path / "var" / "redis" / "appendonly.aof").exists() or \
            (tmp_path / "var" / "redis" / "appendonlydir").exists()

        added = subprocess.run([*gate, "tenants", "add", "store-x", "--callback-url", callbacks.url], env=env,
                               cwd=ROOT, capture_output=True, text=True, check=True)
        creds = json.loads(added.stdout)
        assert creds["webhook_secret"].startswith("whsec_") and creds["api_token"]

        submitted = subprocess.run(
            [*gate, "submit", str(fixture_apk("self-start")), "--listing", str(LISTINGS / "complete.json"),
             "--tenant", "store-x", "--secret", creds["webhook_secret"], "--url", base, "--wait",
             "--token", creds["api_token"]],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert submitted.returncode == 1, submitted.stdout + submitted.stderr  # warn: HAR-SELF-START
        doc = json.loads(submitted.stdout)  # one document: the decided build
        assert f"accepted as {doc['build_id']}" in submitted.stderr
        assert doc["status"] == "done" and doc["verdict"] == "warn"
        assert "HAR-SELF-START" in {f["rule_id"] for f in doc["findings"]}

        [event] = callbacks.wait_for(1)
        assert event["data"]["build_id"] == doc["build_id"]
        page = requests.get(doc["verdict_url"], timeout=5)
        assert page.status_code == 200 and "HAR-SELF-START" in page.text
        assert "gate_verdicts_total" in requests.get(f"{base}/metrics", timeout=5).text
    finally:
        callbacks.stop()
        os.killpg(serve.pid, signal.SIGTERM)
        out, _ = serve.communicate(timeout=60)
    logged = out.decode(errors="replace")
    assert serve.returncode == 0, logged[-2000:]
    # secrets never reach the logs: the webhook secret, the API token, the verdict page's token
    for secret in (creds["webhook_secret"], creds["api_token"], doc["verdict_url"].rsplit("/", 1)[1]):
        assert secret not in logged
    from gate.record.embedded import embedded_url

    assert embedded_url(tmp_path / "var") is None  # the embedded redis-server stopped with it


def test_a_busy_port_is_refused_before_anything_starts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import socket
    import time

    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("GATE_")}
    env.update(GATE_DATA_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT), XDG_STATE_HOME=str(tmp_path / "state"))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        started = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "gate.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert out.returncode == 3, out.stdout + out.stderr
    assert f"port {port} on 127.0.0.1 is in use by another program" in out.stderr
    assert "serving on" not in out.stdout and "Traceback" not in out.stderr
    assert time.monotonic() - started < 30  # no restart loop
    assert not (tmp_path / "var").exists()  # no Redis started, no serve.json written


def test_a_child_that_cannot_start_stops_the_gate_after_five_tries() -> None:
    """The supervisor over real child processes that exit at once: the web process is restarted four times,
    then the gate stops with exit 3 and says why (before, it restarted it forever)."""
    code = ("import sys\n"
            "import gate.cli.serve as s\n"
            "s.RESTART_FIRST_S = 0.05\n"
            "fail = [sys.executable, '-c', 'raise SystemExit(4)']\n"
            "sys.exit(s.supervise([s.Child('worker-1', fail), s.Child('web', fail, must_start=True)], {}))\n")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 3, out.stdout + out.stderr
    assert out.stdout.count("gate: web exited (4); restarting in") == 4
    # a worker dying at start (as on a Redis that is down) is only restarted: the web process stopped the gate
    assert out.stdout.count("gate: worker-1 exited (4); restarting in") >= 4
    assert "worker-1 exited (4) within" not in out.stderr
    assert "gate: web exited (4) within 10 s of starting, 5 times in a row: it cannot start" in out.stderr

"""`gate serve`: the whole service on one machine, supervised.

Starts an embedded Redis when no REDIS_URL is set, the web process (gunicorn with the app factory),
N RQ workers and the reaper, each a child process; restarts a child that dies; stops everything on
SIGINT/SIGTERM. For larger deployments run the same pieces separately (deploy/).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace

from gate.record.embedded import with_redis
from gate.service.settings import Settings


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)


def _gunicorn_version() -> tuple[int, ...]:
    import gunicorn

    return tuple(int(p) for p in str(gunicorn.__version__).split(".")[:2] if p.isdigit())


def serve(settings: Settings, host: str, port: int, workers: int, web_processes: int = 2) -> int:
    settings, embedded = with_redis(settings)
    if "GATE_PUBLIC_URL" not in os.environ:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        settings = replace(settings, public_url=f"http://{shown}:{port}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.env()}
    py = sys.executable
    web = [py, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(web_processes),
           "--worker-class", "gthread", "--threads", "4", "--timeout", "120"]
    if os.environ.get("GATE_ACCESS_LOG"):
        # off by default: verdict page URLs carry their access token, and would end up in the log
        web += ["--access-logfile", "-"]
    if _gunicorn_version() >= (27,):
        web.append("--no-control-socket")  # 27 opens ~/.gunicorn/gunicorn.ctl by default; one per host clashes
    children = [
        Child("web", [*web, "gate.web.app:create_app()"]),
        Child("reaper", [py, "-m", "gate.cli", "reaper"]),
    ] + [Child(f"worker-{i + 1}", [py, "-m", "gate.cli", "worker"]) for i in range(workers)]

    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    redis_desc = "embedded, under " + str(settings.data_dir / "redis") if embedded else settings.redis_url
    print(f"gate: serving on {settings.public_url} with {workers} worker(s); Redis: {redis_desc}", flush=True)
    try:
        for child in children:
            child.proc = subprocess.Popen(child.argv, env=env)
        while not stopping:
            time.sleep(0.5)
            for child in children:
                if child.proc is not None and child.proc.poll() is not None and not stopping:
                    now = time.monotonic()
                    child.restarts = [t for t in child.restarts if now - t < 60] + [now]
                    if len(child.restarts) > 5:
                        print(f"gate: {child.name} keeps dying ({child.proc.returncode}); stopping", flush=True)
                        stopping = True
                        break
                    print(f"gate: {child.name} exited ({child.proc.returncode}); restarting", flush=True)
                    child.proc = subprocess.Popen(child.argv, env=env)
    finally:
        for child in children:
            if child.proc and child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for child in children:
            if child.proc:
                try:
                    child.proc.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.proc.kill()
        if embedded:
            embedded.stop()
    return 0

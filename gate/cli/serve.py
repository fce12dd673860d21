"""`gate serve`: the whole service on one machine, supervised.

Starts an embedded Redis when no REDIS_URL is set, the web process (gunicorn with the app factory),
N RQ workers and the reaper, each a child process; restarts a child that dies, waiting longer after each
quick death (0.5 s doubling to 30 s; a child that stayed up for a minute starts again from 0.5 s), and never
gives up on one: a dependency that is down (Redis) is waited out, not turned into a stopped service. Stops
everything on SIGINT/SIGTERM. For larger deployments run the same pieces separately (deploy/).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace

from gate.record.embedded import with_redis
from gate.service.settings import Settings


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None


RESTART_FIRST_S = 0.5
RESTART_MAX_S = 30.0
STABLE_S = 60.0
# Header deadline worker: the request line and headers must arrive within GATE_HEADER_TIMEOUT_S.
WEB_WORKER_CLASS = "gate.web.gunicorn_worker.HeaderDeadlineWorker"


def restart_delay(quick_deaths: int) -> float:
    """Pause before restarting a child after its ``quick_deaths``-th death in a row (each within a minute)."""
    return float(min(RESTART_MAX_S, RESTART_FIRST_S * 2.0 ** max(0, quick_deaths - 1)))


def gunicorn_argv(host: str, port: int, *, processes: int = 2, threads: int = 4) -> list[str]:
    """The web process's command line, without the app (``gate.web.app:create_app()``)."""
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(processes),
            "--worker-class", WEB_WORKER_CLASS, "--threads", str(threads), "--timeout", "120"]
    if _gunicorn_version() >= (27,):
        argv.append("--no-control-socket")  # 27 opens ~/.gunicorn/gunicorn.ctl by default; one per host clashes
    return argv


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
    web = gunicorn_argv(host, port, processes=web_processes)
    if os.environ.get("GATE_ACCESS_LOG"):
        # off by default: verdict page URLs carry their access token, and would end up in the log
        web += ["--access-logfile", "-"]
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
            child.proc, child.started = subprocess.Popen(child.argv, env=env), time.monotonic()
        while not stopping:
            time.sleep(0.5)
            for child in children:
                if stopping:
                    break
                now = time.monotonic()
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        child.restart_at = None
                        child.proc, child.started = subprocess.Popen(child.argv, env=env), now
                    continue
                if child.proc is not None and child.proc.poll() is not None:
                    child.quick_deaths = child.quick_deaths + 1 if now - child.started < STABLE_S else 1
                    delay = restart_delay(child.quick_deaths)
                    print(f"gate: {child.name} exited ({child.proc.returncode}); restarting in {delay:g} s",
                          flush=True)
                    child.restart_at = now + delay
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

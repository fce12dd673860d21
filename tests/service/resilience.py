"""A Redis of the test's own (real redis-server, loopback, AOF fsync always) that a test can kill and restart,
and a hook that kills it just before the Nth command a process sends it."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
import redis.connection

from gate.record.embedded import redis_server_binary
from tests.service.conftest import free_port


class OwnRedis:
    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 15) -> OwnRedis:
        import time

        self.proc = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except (redis.RedisError, OSError):
                time.sleep(0.05)
        raise AssertionError("own redis-server did not come up")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None


@contextmanager
def dies_before_command(own: OwnRedis, n: int) -> Iterator[list[int]]:
    """SIGKILL ``own`` just before this process sends it its ``n``-th command (0-based; a pipeline or a
    MULTI/EXEC block is one send). Yields a one-element list: how many sends were seen."""
    original = redis.connection.AbstractConnection.send_packed_command
    seen = [0]

    def send(self: Any, command: Any, check_health: bool = True) -> None:
        if seen[0] == n:
            own.kill()
        seen[0] += 1
        original(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = send  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        redis.connection.AbstractConnection.send_packed_command = original  # type: ignore[method-assign]

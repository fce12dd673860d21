"""A wall-clock deadline on a socket: when it passes, the socket is shut down, which wakes any thread blocked
reading it. Per-read timeouts cannot stop a peer that sends one byte just often enough; this can."""

from __future__ import annotations

import socket
import threading
import time


class SocketDeadline:
    def __init__(self, seconds: float, how: int = socket.SHUT_RDWR) -> None:
        self.seconds = seconds
        self.expired = False
        self._how = how
        self._end = time.monotonic() + seconds
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket | None) -> None:
        """The socket to shut when time is up (replacing any earlier one, e.g. after a redirect)."""
        with self._lock:
            self._sock = sock
            expired = self.expired
        if expired:
            self._fire()

    def left(self) -> float:
        return max(0.1, self._end - time.monotonic())

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(self._how)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()

"""A wall-clock deadline on a socket: when it passes, the socket is shut down, which wakes any thread blocked
reading it. Per-read timeouts cannot stop a peer that sends one byte just often enough; this can."""

from __future__ import annotations

import socket
import threading
import time


class SocketDeadline:
    def __init__(self, seconds: float, how: int = socket.SHUT_RDWR) -> None:
        self.seconds = seconds
        self._fired = False
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
        if self.expired:
            self._fire()

    @property
    def expired(self) -> bool:
        """Whether the time is up: by the clock, even when the timer thread has not run yet (a loaded host can
        wake a read timeout of the same length first, and its error must still be told as the deadline's)."""
        return self._fired or time.monotonic() >= self._end

    def left(self) -> float:
        return max(0.1, self._end - time.monotonic())

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(self._how)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()

"""Work on the other core: a forked child computes (signature report, file hash) and pipes it back.

The child shares the parent's memory until either writes to it, needs no Python state but the file, and
exits without running any of the parent's clean-up. Where forking is unsafe (other threads running) or
impossible, nothing is started and the caller does the work in process when it is asked for.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Any

KEYS = ("signature", "sha256")  # what the child's work returns, in order


class Prefetcher:
    """At most one child per upload; its answer is read once and kept."""

    def __init__(self) -> None:
        self._child: tuple[int, int] | None = None  # (pid, read end of the pipe)
        self._froze = False  # the garbage collector's objects are frozen until the child is joined
        self._result: dict[str, Any] = {}

    @property
    def running(self) -> bool:
        return self._child is not None

    @staticmethod
    def can_fork() -> bool:
        return hasattr(os, "fork") and threading.active_count() == 1

    def start(self, work: Callable[[], tuple[Any, Any]]) -> bool:
        """Fork a child that runs ``work`` and sends its two results back; False when none was started."""
        if self._child is not None or not self.can_fork():
            return False
        try:
            read_fd, write_fd = os.pipe()
        except OSError:
            return False
        # A garbage collection walks (and so writes to) every object, copying page after page in both
        # processes: the parent freezes what it has now until the join (unless someone else froze objects on
        # purpose), the child never collects.
        froze = gc.get_freeze_count() == 0
        if froze:
            gc.freeze()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            if froze:
                gc.unfreeze()
            return False
        if pid == 0:  # the child: compute, send, exit without running any parent clean-up
            gc.disable()
            status = 0
            try:
                os.close(read_fd)
                payload = pickle.dumps(work())
                with os.fdopen(write_fd, "wb") as out:
                    out.write(payload)
            except BaseException:  # noqa: BLE001 - the parent falls back to doing the work itself
                status = 1
            finally:
                os._exit(status)
        os.close(write_fd)
        self._child = (pid, read_fd)
        self._froze = froze
        return True

    def result(self, key: str) -> Any | None:
        """The child's result for ``key`` ("signature" or "sha256"), or None if there is none."""
        if self._child is not None:
            pid, read_fd = self._child
            self._child = None
            complete = False
            try:
                with os.fdopen(read_fd, "rb") as src:
                    payload = src.read()
                complete = True
            finally:  # even when a check's deadline interrupts the wait: no child left, no objects frozen
                if self._froze:
                    self._froze = False
                    gc.unfreeze()
                if not complete:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            try:
                values = pickle.loads(payload) if payload else (None, None)
            except Exception:  # noqa: BLE001 - a truncated payload: recompute in process
                values = (None, None)
            self._result = dict(zip(KEYS, values, strict=False))
        return self._result.get(key)

    def close(self) -> None:
        """Reap the child if nobody asked for its result (an analysis that stopped early)."""
        if self._child is not None:
            self.result("sha256")

"""gunicorn's threaded worker with a deadline on the request line and headers.

gthread hands a connection to a thread as soon as its first bytes arrive, and the thread then reads the
headers blocking: a client sending one header line every few seconds holds the thread as long as it likes,
and 16 such clients hold every thread of a default deployment (no authentication needed). Here the whole
header phase has one wall-clock deadline (GATE_HEADER_TIMEOUT_S, default 10 s): when it passes, the socket is
shut down, which wakes the blocked read and drops the connection. The deadline ends when the headers are
parsed; the body then has its own (GATE_BODY_TIMEOUT_S, webhooks/inbound.py).

`gate serve`, deploy/Dockerfile, deploy/docker-compose.yml and deploy/k8s run gunicorn with
``--worker-class gate.web.gunicorn_worker.HeaderDeadlineWorker``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from gate.service.deadline import SocketDeadline


def header_timeout_s() -> float:
    return float(os.environ.get("GATE_HEADER_TIMEOUT_S", "10"))


class HeaderDeadlineWorker(ThreadWorker):  # type: ignore[misc]
    _local = threading.local()

    def handle(self, conn: Any) -> Any:
        deadline = SocketDeadline(header_timeout_s())
        deadline.watch(conn.sock)
        self._local.deadline = deadline
        try:
            return super().handle(conn)
        finally:
            deadline.cancel()
            self._local.deadline = None

    def handle_request(self, req: Any, conn: Any) -> Any:
        deadline = getattr(self._local, "deadline", None)
        if deadline is not None:
            deadline.cancel()  # the headers are in: from here the body's own deadline applies
            deadline.watch(None)
        return super().handle_request(req, conn)

"""Run one RQ worker on the gate's queues (callbacks first), with the scheduler for callback retries.

A Redis outage does not end the worker: it waits, reconnecting with a growing pause (0.5 s doubling up to
10 s), and works again once Redis answers. While it waits it is not registered in Redis, so `/readyz` and
`gate status` report it missing (not ready) rather than idle.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from rq import Queue, Worker
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers

from gate.errors import ConfigError
from gate.service.queues import WORKER_QUEUES, rq_connection
from gate.service.settings import Settings

log = logging.getLogger("gate.worker")
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 10.0


class GateWorker(Worker):
    """RQ's worker, with its pub/sub thread polling every second instead of every 60 s.

    On teardown RQ unsubscribes and joins that thread; when the thread is between messages it waits for a
    subscription for up to its poll time, so a `gate worker --burst` (and every stop) could hang for a
    minute. Seen here as burst workers taking 60 s about one run in three under load.
    """

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """A callback endpoint that is down is expected: the job has logged one line for the attempt, so no
        traceback for it; any other failure is logged by RQ in full."""
        from workers.jobs import CallbackFailed

        if len(exc_info) > 1 and isinstance(exc_info[1], CallbackFailed):
            call_exception_handlers(self._exc_handlers, job, *exc_info)
            return
        super().handle_exception(job, *exc_info)

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(sleep_time=1, daemon=True,  # type: ignore[assignment]
                                                       exception_handler=self._pubsub_exception_handler)


def _preload() -> None:
    """Import the analysis code once in the worker, so every forked work horse starts with it loaded
    (otherwise each job pays for importing androguard and the checks again)."""
    import workers.jobs  # noqa: F401
    from gate.core.scan import preload

    preload()


def _wait_for_redis(conn: redis.Redis) -> None:
    pause = BACKOFF_FIRST_S
    while True:
        try:
            conn.ping()
            return
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            if pause == BACKOFF_FIRST_S:
                log.warning("Redis unreachable (%s); retrying every %.1f-%.0f s", type(exc).__name__,
                            BACKOFF_FIRST_S, BACKOFF_MAX_S)
            time.sleep(pause)
            pause = min(BACKOFF_MAX_S, pause * 2)


def run(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    if not settings.redis_url:
        raise ConfigError("REDIS_URL is not set")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    _preload()
    conn = rq_connection(settings.redis_url)
    first = True
    while True:
        if not first:
            _wait_for_redis(conn)
        first = False
        queues = [Queue(n, connection=conn) for n in WORKER_QUEUES]
        worker = GateWorker(queues, connection=conn, name=name, job_monitoring_interval=settings.job_heartbeat_s)
        try:
            worked = bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))
            if burst or getattr(worker, "_stop_requested", False) or _reachable(conn):
                return worked  # done, asked to stop, or broken by something other than Redis
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if burst:
                raise
            log.warning("lost Redis (%s)", type(exc).__name__)
        # RQ's loop gives up on a lost connection: wait for Redis and start a fresh worker
        log.warning("worker stopped by a Redis outage; waiting for Redis to come back")
        try:  # a registration left behind would look like a live, idle worker
            worker.register_death()  # type: ignore[no-untyped-call]
        except (redis.RedisError, OSError):
            pass
        conn.connection_pool.disconnect()


def _reachable(conn: redis.Redis) -> bool:
    try:
        conn.ping()
    except (redis.RedisError, OSError):
        return False
    return True

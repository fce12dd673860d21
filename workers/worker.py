"""Run one RQ worker on the gate's queues (callbacks first), with the scheduler for callback retries."""

from __future__ import annotations

import logging

from rq import Queue, Worker

from gate.errors import ConfigError
from gate.service.queues import WORKER_QUEUES, rq_connection
from gate.service.settings import Settings


def _preload() -> None:
    """Import the analysis code once in the worker, so every forked work horse starts with it loaded
    (otherwise each job pays for importing androguard and the checks again)."""
    import workers.jobs  # noqa: F401
    from gate.core.scan import preload

    preload()


class GateWorker(Worker):
    """rq's Worker, with a pubsub thread that polls every second instead of every 60 s.

    rq 3 starts the thread with ``sleep_time=60`` and, at teardown, unsubscribes then stops it; redis-py 8's
    ``PubSubWorkerThread.stop()`` joins the thread, and when the thread has already read the unsubscribe
    reply it is waiting for a subscription that never comes, for up to ``sleep_time``. Seen as burst
    workers that took 60 s to exit after their last job.
    """

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # rq annotates it None
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
        )


def run(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    if not settings.redis_url:
        raise ConfigError("REDIS_URL is not set")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    _preload()
    conn = rq_connection(settings.redis_url)
    queues = [Queue(n, connection=conn) for n in WORKER_QUEUES]
    worker = GateWorker(queues, connection=conn, name=name, job_monitoring_interval=settings.job_heartbeat_s)
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))

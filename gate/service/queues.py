"""Queue names and enqueue helpers. Job arguments are build ids only, never live objects."""

from __future__ import annotations

import redis
from rq import Queue, Retry
from rq.job import Job

from gate.defaults import JOB_FAILURE_TTL_S, JOB_RESULT_TTL_S
from gate.service.settings import Settings

ANALYSIS = "analysis"
CALLBACKS = "callbacks"
# Workers take callbacks first: a slow analysis must not hold back a store's answer.
WORKER_QUEUES = (CALLBACKS, ANALYSIS)


def rq_connection(url: str) -> redis.Redis:
    """RQ needs a client that returns bytes (no decode_responses)."""
    return redis.Redis.from_url(url, health_check_interval=30)


def enqueue_analysis(conn: redis.Redis, settings: Settings, build_id: str, attempt: int = 1) -> Job:
    # Retry(max=1): a work horse killed mid-job (OOM, SIGKILL) gets one more try before the build fails.
    return Queue(ANALYSIS, connection=conn).enqueue_call(
        "workers.jobs.analyse_build", args=(build_id,), job_id=f"analysis-{build_id}-{attempt}",
        timeout=settings.job_timeout_s, retry=Retry(max=1), result_ttl=JOB_RESULT_TTL_S, failure_ttl=JOB_FAILURE_TTL_S,
    )


def enqueue_callback(conn: redis.Redis, settings: Settings, build_id: str, reason: str = "verdict") -> Job:
    intervals = list(settings.callback_retry_intervals_s)
    return Queue(CALLBACKS, connection=conn).enqueue_call(
        "workers.jobs.deliver_callback", args=(build_id,), kwargs={"reason": reason},
        timeout=int(settings.callback_timeout_s) + 30, retry=Retry(max=len(intervals), interval=intervals),
        result_ttl=JOB_RESULT_TTL_S, failure_ttl=JOB_FAILURE_TTL_S,
    )

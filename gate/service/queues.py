"""Queue names and enqueue helpers. Job arguments are build ids only, never live objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

import redis
from rq import Queue, Retry
from rq.job import Job

from gate.defaults import JOB_FAILURE_TTL_S
from gate.service.settings import Settings

if TYPE_CHECKING:
    from redis.client import Pipeline

ANALYSIS = "analysis"
CALLBACKS = "callbacks"
# Workers take callbacks first: a slow analysis must not hold back a store's answer.
WORKER_QUEUES = (CALLBACKS, ANALYSIS)


def rq_connection(url: str) -> redis.Redis:
    """RQ needs a client that returns bytes (no decode_responses)."""
    return redis.Redis.from_url(url, health_check_interval=30)


def analysis_job_id(build_id: str, attempt: int = 1) -> str:
    return f"analysis-{build_id}-{attempt}"


def enqueue_analysis(conn: redis.Redis, settings: Settings, build_id: str, attempt: int = 1, *,
                     pipeline: Pipeline | None = None) -> Job:
    """Queue the analysis; with ``pipeline`` the job is only written into it (queued when it executes, in the
    same MULTI as whatever else the pipeline holds)."""
    # Retry(max=1): a work horse killed mid-job (OOM, SIGKILL) gets one more try before the build fails.
    return Queue(ANALYSIS, connection=conn).enqueue_call(
        "workers.jobs.analyse_build", args=(build_id,), job_id=analysis_job_id(build_id, attempt),
        timeout=settings.job_timeout_s, retry=Retry(max=1), result_ttl=settings.job_result_ttl_s,
        failure_ttl=JOB_FAILURE_TTL_S, pipeline=pipeline,
    )


def enqueue_callback(conn: redis.Redis, settings: Settings, build_id: str, reason: str = "verdict", *,
                     pipeline: Pipeline | None = None) -> Job:
    intervals = list(settings.callback_retry_intervals_s)
    return Queue(CALLBACKS, connection=conn).enqueue_call(
        "workers.jobs.deliver_callback", args=(build_id,), kwargs={"reason": reason},
        timeout=int(settings.callback_timeout_s) + 30, retry=Retry(max=len(intervals), interval=intervals),
        result_ttl=settings.job_result_ttl_s, failure_ttl=JOB_FAILURE_TTL_S, pipeline=pipeline,
    )


def enqueue_decision_callback(conn: redis.Redis, settings: Settings, build_id: str, *,
                              pipeline: Pipeline | None = None) -> Job:
    """The reviewer's decision to the store (``build.decision``): the queue and retries of the verdict's callback."""
    intervals = list(settings.callback_retry_intervals_s)
    return Queue(CALLBACKS, connection=conn).enqueue_call(
        "workers.decisions.deliver_decision", args=(build_id,),
        timeout=int(settings.callback_timeout_s) + 30, retry=Retry(max=len(intervals), interval=intervals),
        result_ttl=settings.job_result_ttl_s, failure_ttl=JOB_FAILURE_TTL_S, pipeline=pipeline,
    )

"""The reaper: no build stays queued or running forever.

It walks the builds that are not decided yet and compares them with their RQ job:

- the job failed or vanished (a work horse killed twice, a job lost with a Redis without persistence),
- or it is marked started but its worker stopped sending heartbeats (the whole worker was killed).

Such a build is analysed once more if it has had only one attempt, else it is answered: status
`failed`, a GATE-CHECK-FAILED verdict, and the callback like any other verdict.

It also walks decided builds whose callback has had no attempt for a while: a callback job that RQ lost
(dequeued just as Redis or the worker died, so it is `queued` but on no queue, or it ended without running)
is queued again, once; a job still waiting, running or scheduled for a retry is left alone. The same for a
reviewer's decision: its ``build.decision`` callback is queued again while it has no final result and no live job
(never queued because Redis was down when the reviewer decided, or its job lost). One reaper at a time
holds a short Redis lock, so running several (one per `gate serve`, a sidecar) is harmless.

With GATE_RETENTION_DAYS set it also archives, once a day, the decided builds older than that many days
(JSON Lines under the data directory) and deletes them from the record, as `gate retention` does.
"""

from __future__ import annotations

import time

from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from gate.record.build import FINAL, Build
from gate.service.queues import CALLBACKS, enqueue_analysis, enqueue_callback, enqueue_decision_callback
from gate.service.runtime import Runtime, failure_verdict, finalize

MAX_ATTEMPTS = 2
# A decided build's callback with no attempt after this long is looked at (its job may have been lost).
CALLBACK_GRACE_S = 60
# Decided builds are looked at for a lost callback this long after their decision (a day: far longer than
# any outage the workers wait out; older ones are the store's to ask for, POST .../redeliver).
CALLBACK_WINDOW_S = 86400
# Retention (GATE_RETENTION_DAYS) runs at most this often.
RETENTION_EVERY_S = 86400
# A build queued this recently may not have its job yet (created, then enqueued).
GRACE_S = 30


def _job(rt: Runtime, job_id: str | None) -> Job | None:
    if not job_id:
        return None
    try:
        return Job.fetch(job_id, connection=rt.rq)
    except NoSuchJobError:
        return None


def _dead_reason(rt: Runtime, build: Build, job: Job | None, now: float) -> str | None:
    changed = build.started_at or build.received_at or now
    if job is None:
        return None if now - changed < GRACE_S else "its analysis job was lost"
    status = job.get_status(refresh=True)
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        died = " (the work horse died)" if status == JobStatus.FAILED else ""
        return f"its analysis job ended {status.value}{died}"
    if status == JobStatus.FINISHED:
        return "its analysis job finished without storing a verdict"
    if status == JobStatus.STARTED:
        beat = job.last_heartbeat or job.started_at
        silence = now - beat.timestamp() if beat else now - changed
        limit = 4 * rt.settings.job_heartbeat_s + 10
        if silence > limit:
            return f"its worker has been silent for {silence:.0f} s"
        if job.started_at and now - job.started_at.timestamp() > rt.settings.job_timeout_s + 120:
            return "its analysis ran far past the job timeout"
    return None


def reap(rt: Runtime, *, now: float | None = None) -> list[tuple[str, str]]:
    """One pass. Returns (build id, action) for every build it touched."""
    if not rt.store.take_lock("reaper-lock", 30):
        return []
    actions: list[tuple[str, str]] = []
    try:
        current = time.time() if now is None else now
        for build_id, _ in rt.record.active_builds():
            build = rt.build(build_id)
            if build is None or build.status in FINAL:
                continue
            reason = _dead_reason(rt, build, _job(rt, build.job_id), current)
            if reason is None:
                continue
            if build.attempts < MAX_ATTEMPTS:
                job = enqueue_analysis(rt.rq, rt.settings, build_id, attempt=build.attempts + 1)
                rt.update_build(build_id, status="queued", job_id=job.id, last_problem=reason)
                actions.append((build_id, "retried"))
                continue
            tenant = rt.record.get_tenant(build.tenant)
            verdict = failure_verdict(build, rt.policy_for(tenant), "GATE-CHECK-FAILED",
                                      f"The analysis did not finish after {build.attempts} attempt(s): {reason}.",
                                      f"尝试 {build.attempts} 次后分析仍未完成：{reason}。")
            if finalize(rt, build, "failed", verdict, reason="worker_lost"):
                actions.append((build_id, "failed"))
        actions += _lost_callbacks(rt, current)
        actions += _decision_callbacks(rt, current)
        actions += _retention(rt, current)
    finally:
        rt.store.release_lock("reaper-lock")
    return actions


def _waiting(queue: Queue) -> set[str]:
    """The ids of the jobs on the queue or scheduled on it."""
    ids = {j.decode() if isinstance(j, bytes) else j for j in queue.get_job_ids()}
    return ids | set(ScheduledJobRegistry(queue=queue).get_job_ids())  # type: ignore[no-untyped-call]


class _CallbackJobs:
    """The callback jobs a pass looks at: alive (waiting, running, scheduled for a retry), stranded on no queue
    (dequeued by a worker that died before starting it: put back), or lost (gone, or ended without a result)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.queue = Queue(CALLBACKS, connection=rt.rq)
        self._waiting: set[str] | None = None

    def revive(self, job_id: str | None) -> str:
        """'alive', 'requeued' (it was stranded and is on the queue again) or 'lost' (the caller queues anew)."""
        job = _job(self.rt, job_id)
        status = job.get_status(refresh=True) if job is not None else None
        if status in (JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
            return "alive"
        if job is not None and status == JobStatus.QUEUED:
            if self._waiting is None:
                self._waiting = _waiting(self.queue)
            if job.id in self._waiting:
                return "alive"
            self.queue.enqueue_job(job)
            return "requeued"
        return "lost"


def _lost_callbacks(rt: Runtime, now: float) -> list[tuple[str, str]]:
    actions: list[tuple[str, str]] = []
    jobs = _CallbackJobs(rt)
    for build_id in rt.record.undelivered(now - CALLBACK_GRACE_S, now - CALLBACK_WINDOW_S):
        build = rt.build(build_id)
        if build is None:
            continue
        state = jobs.revive(build.callback_job_id)
        if state == "requeued":
            actions.append((build_id, "callback requeued"))
        elif state == "lost":  # the job is gone, or ended (finished, failed, stopped) without recording an attempt
            new = enqueue_callback(rt.rq, rt.settings, build_id)
            rt.update_build(build_id, callback_job_id=new.id)
            actions.append((build_id, "callback queued again"))
    return actions


def _decision_callbacks(rt: Runtime, now: float) -> list[tuple[str, str]]:
    """Reviewers' decisions whose ``build.decision`` callback the store may never get: never queued (Redis was
    down when the reviewer decided), or its job lost (gone, or ended without a final result). Each is queued
    again, once a pass: the new job's id goes on the decision, and a job still waiting, running or scheduled for
    a retry is left alone. A final result (delivered, gave up, gone, skipped) ends it."""
    actions: list[tuple[str, str]] = []
    jobs = _CallbackJobs(rt)
    for decision in rt.record.decisions_to_call_back(now - CALLBACK_GRACE_S, now - CALLBACK_WINDOW_S):
        build_id = decision["build_id"]
        state = jobs.revive(decision["job_id"])
        if state == "requeued":
            actions.append((build_id, "decision callback requeued"))
        elif state == "lost":  # never queued, gone, or ended (finished, failed, stopped) without a final result
            new = enqueue_decision_callback(rt.rq, rt.settings, build_id)
            rt.record.set_decision_callback(build_id, job_id=new.id)
            actions.append((build_id, "decision callback queued" if decision["job_id"] is None
                            else "decision callback queued again"))
    return actions


def _retention(rt: Runtime, now: float) -> list[tuple[str, str]]:
    """Once a day (a Redis lock that lasts the day), when GATE_RETENTION_DAYS is set: archive decided builds
    older than the period to JSON Lines under the data directory and delete them from the record."""
    days = rt.settings.retention_days
    if days <= 0 or not rt.store.take_lock("retention-ran", RETENTION_EVERY_S):
        return []
    try:
        result = rt.record.archive(days, rt.settings.archive_dir, now=now)
    except Exception:
        rt.store.release_lock("retention-ran")  # try again at the next pass
        raise
    return [("retention", f"archived {result['builds']} build(s) to {result['file']}")] if result["builds"] else []


def run_forever(rt: Runtime, interval_s: float = 5.0) -> None:
    while True:
        try:
            reap(rt)
        except Exception as exc:  # noqa: BLE001 - a Redis outage must not end the reaper
            print(f"reaper: {type(exc).__name__}: {exc}", flush=True)
        time.sleep(interval_s)

"""What an operator on call wants at a glance: queues, workers, failed jobs, builds not yet decided."""

from __future__ import annotations

import time
from typing import Any

import redis
from rq import Queue, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from gate.service.queues import WORKER_QUEUES


def status(conn: redis.Redis, active: list[tuple[str, float]], failed_limit: int = 10) -> dict[str, Any]:
    now = time.time()
    queues = {}
    failed_jobs = []
    for name in WORKER_QUEUES:
        failed = FailedJobRegistry(name, connection=conn)
        queues[name] = {"waiting": Queue(name, connection=conn).count,
                        "running": StartedJobRegistry(name, connection=conn).count,
                        "scheduled": ScheduledJobRegistry(name, connection=conn).count,  # type: ignore[no-untyped-call]
                        "failed": failed.count}
        for job_id in failed.get_job_ids(0, failed_limit - 1):
            job = Job.fetch(job_id, connection=conn)
            last = (job.exc_info or "").strip().splitlines()[-1:] or [""]
            failed_jobs.append({"queue": name, "job": job_id, "ended_at": str(job.ended_at), "error": last[0][:200]})
    workers = []
    for w in Worker.all(connection=conn):
        current = w.get_current_job()
        beat = round(now - w.last_heartbeat.timestamp(), 1) if w.last_heartbeat else None
        workers.append({"name": w.name, "state": str(w.get_state()), "queues": w.queue_names(),
                        "job": current.id if current else None, "last_heartbeat_s_ago": beat})
    oldest = round(now - min(t for _, t in active), 1) if active else 0
    return {"queues": queues, "workers": workers, "failed_jobs": failed_jobs,
            "undecided_builds": len(active), "oldest_undecided_s": oldest}


def as_text(doc: dict[str, Any]) -> str:
    lines = ["queue       waiting  running  scheduled  failed"]
    for name, q in doc["queues"].items():
        lines.append(f"{name:<11} {q['waiting']:>7}  {q['running']:>7}  {q['scheduled']:>9}  {q['failed']:>6}")
    lines += ["", f"workers: {len(doc['workers'])}"]
    for w in doc["workers"]:
        lines.append(f"  {w['name']}  {w['state']}  job={w['job'] or '-'}  heartbeat {w['last_heartbeat_s_ago']} s ago")
    lines += ["", f"builds not decided yet: {doc['undecided_builds']} (oldest {doc['oldest_undecided_s']} s)"]
    if doc["failed_jobs"]:
        lines += ["", "failed jobs (newest first):"]
        lines += [f"  {j['queue']}  {j['job']}  {j['ended_at']}  {j['error']}" for j in doc["failed_jobs"]]
    return "\n".join(lines)

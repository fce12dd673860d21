"""A reviewer's decision reaches the store even when its ``build.decision`` callback could not be queued (Redis
down when the reviewer decided) or its job was lost: the reaper queues it again, once a pass, until it has a final
result. Real Redis (a closed port for "down"), real workers, a real HTTP server receiving the signed callback,
on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from dataclasses import replace

from rq.job import Job

from gate.record.models import STORE_TOKEN
from gate.service import review, webhook_signing
from gate.service.runtime import Runtime
from tests.service.conftest import Workers, free_port
from tests.service.desk import decided, store
from workers.reaper import CALLBACK_GRACE_S, CALLBACK_WINDOW_S, reap


def _decision_actions(actions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The reaper's actions on decision callbacks (a build made by the test's helper has no verdict callback job
    either, and the same pass queues that one too)."""
    return [a for a in actions if a[1].startswith("decision callback")]


def _decision_events(server) -> list[tuple[dict, dict]]:  # type: ignore[no-untyped-def]
    import json

    return [(json.loads(r["body"]), r) for r in server.received if json.loads(r["body"])["type"] == "build.decision"]


def test_a_decision_made_with_redis_down_is_called_back_by_the_reaper(db_settings, runtimes,  # type: ignore[no-untyped-def]
                                                                      callback_server) -> None:
    rt = Runtime(db_settings)
    runtimes.append(rt)
    desk = store(rt.record, callback_server.url)
    build_id = decided(rt.record, "sdk-calls")
    # the reviewer decides while the service's Redis is down (nothing listens on its port): the decision stands
    down = Runtime(replace(db_settings, redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    runtimes.append(down)
    out = review.decide(down, "store-a", build_id, "approve", "SDK list fixed on the listing", "alice",
                        identified_by=STORE_TOKEN)
    assert out["review_status"] == "approved"
    assert out["callback"] == {"status": "not_queued", "error": "Redis ConnectionError"}
    assert rt.record.decisions(build_id)[-1]["callback"] == {"job_id": None, "result": None, "delivered_at": None}

    # Redis is back. Not at once (a callback may be on its way), then once, then not again while its job waits
    assert _decision_actions(reap(rt)) == []
    later = time.time() + CALLBACK_GRACE_S + 1
    assert _decision_actions(reap(rt, now=later)) == [(build_id, "decision callback queued")]
    job_id = rt.record.decisions(build_id)[-1]["callback"]["job_id"]
    assert job_id and Job.fetch(job_id, connection=rt.rq).args == (build_id,)
    assert _decision_actions(reap(rt, now=later)) == []

    Workers(db_settings).burst()
    callback_server.wait_for(2)  # the verdict's (queued by the same pass) and the decision's
    [(event, raw)] = _decision_events(callback_server)
    envelope = webhook_signing.read_headers(raw["headers"])
    assert webhook_signing.matches(envelope, webhook_signing.sign(desk["secret"], envelope.msg_id,
                                                                  envelope.timestamp, raw["body"]))
    assert envelope.msg_id == f"msg_{build_id}_build.decision"
    assert {k: event["data"][k] for k in ("build_id", "decision", "reason", "reviewer")} == {
        "build_id": build_id, "decision": "approve", "reason": "SDK list fixed on the listing", "reviewer": "alice"}
    callback = rt.record.decisions(build_id)[-1]["callback"]
    assert (callback["job_id"], callback["result"]) == (job_id, "delivered") and callback["delivered_at"]
    # delivered: nothing more to do, now or later in the window; nothing is sent twice
    assert _decision_actions(reap(rt, now=later)) == []
    assert _decision_actions(reap(rt, now=time.time() + CALLBACK_WINDOW_S / 2)) == []
    time.sleep(0.3)
    assert len(_decision_events(callback_server)) == 1


def test_a_lost_decision_job_is_queued_again_and_a_final_result_ends_it(rt, callback_server) -> None:  # type: ignore[no-untyped-def]
    store(rt.record, callback_server.url)
    lost, gone, old = (decided(rt.record, "sdk-calls") for _ in range(3))
    out = review.decide(rt, "store-a", lost, "reject", "the SDK sends the IMEI", "alice", identified_by=STORE_TOKEN)
    assert out["callback"]["status"] == "queued"
    assert rt.record.decisions(lost)[-1]["callback"]["job_id"] == out["callback"]["job_id"]
    Job.fetch(out["callback"]["job_id"], connection=rt.rq).delete()  # lost (a Redis without persistence restarted)
    later = time.time() + CALLBACK_GRACE_S + 1
    assert _decision_actions(reap(rt, now=later)) == [(lost, "decision callback queued again")]
    again = rt.record.decisions(lost)[-1]["callback"]["job_id"]
    assert again != out["callback"]["job_id"]

    workers = Workers(rt.settings)
    workers.burst()
    assert [e["data"]["build_id"] for e, _ in _decision_events(callback_server)] == [lost]
    assert rt.record.decisions(lost)[-1]["callback"]["result"] == "delivered"

    # a decision older than the window is the store's to ask for (as a verdict's lost callback is)
    rt.record.decide(old, "reject", "r", "alice", now=time.time() - CALLBACK_WINDOW_S - 10)
    # the store's endpoint answers 410: a final result, never queued again
    callback_server.status = 410
    review.decide(rt, "store-a", gone, "reject", "r", "alice", identified_by=STORE_TOKEN)
    workers.burst()
    assert [e["data"]["build_id"] for e, _ in _decision_events(callback_server)] == [lost, gone]
    assert rt.record.decisions(gone)[-1]["callback"]["result"] == "gone"
    assert _decision_actions(reap(rt, now=later)) == []
    assert rt.record.decisions(old)[-1]["callback"]["job_id"] is None

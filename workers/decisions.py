"""The ``build.decision`` callback job: a reviewer's decision, signed and sent to the store, retried like the
verdict's callback (gate.service.queues.enqueue_decision_callback). Each attempt's result is noted on the decision
(delivered, retrying, gave_up, gone, skipped), so that the reaper knows which decisions the store still lacks."""

from __future__ import annotations

from gate.service.review import decision_event
from webhooks.outbound import DeliveryFailed, send
from workers.jobs import runtime


def deliver_decision(build_id: str) -> str:
    rt = runtime()
    event = decision_event(rt, build_id)
    if event is None:
        return "no decision"
    try:
        result = send(rt, event["data"]["tenant"], build_id, event, reason="decision")
    except DeliveryFailed as exc:
        rt.record.set_decision_callback(build_id, result="gave_up" if exc.final else "retrying")
        raise
    rt.record.set_decision_callback(build_id, result=result)
    return result

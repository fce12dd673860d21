"""The ``build.decision`` callback job: a reviewer's decision, signed and sent to the store, retried like the
verdict's callback (gate.service.queues.enqueue_decision_callback)."""

from __future__ import annotations

from gate.service.review import decision_event
from webhooks.outbound import send
from workers.jobs import runtime


def deliver_decision(build_id: str) -> str:
    rt = runtime()
    event = decision_event(rt, build_id)
    if event is None:
        return "no decision"
    return send(rt, event["data"]["tenant"], build_id, event, reason="decision")

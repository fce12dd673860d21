"""The review desk's service (gate/service/review.py) on the record, with real workers delivering the signed
``build.decision`` callback to a real HTTP server."""

from __future__ import annotations

import json
import time

import pytest

from gate.record.models import REVIEW_SESSION, STORE_TOKEN
from gate.service import review, webhook_signing
from gate.service.review import ReviewError, WaiverRequest
from tests.service.desk import decided, reviewers, store


@pytest.fixture()
def desk(rt, callback_server):  # type: ignore[no-untyped-def]
    t = store(rt.record, callback_server.url)
    reviewers(rt.record)
    return t


def test_a_decision_is_recorded_audited_and_called_back_signed(rt, desk, workers, callback_server) -> None:  # type: ignore[no-untyped-def]
    build_id = decided(rt.record, "sdk-calls")
    assert rt.record.get_build(build_id)["review_status"] == "pending"
    out = review.decide(rt, "store-a", build_id, "approve", "SDK list fixed on the listing", "alice",
                        identified_by=STORE_TOKEN)
    assert out["review_status"] == "approved" and out["callback"]["status"] == "queued"
    assert rt.record.get_build(build_id)["review_status"] == "approved"
    assert [a["action"] for a in rt.record.audit_log(subject_kind="build", subject_id=build_id)] == ["build.approve"]
    workers.burst()
    [received] = callback_server.wait_for(1)
    raw = callback_server.received[0]
    envelope = webhook_signing.read_headers(raw["headers"])
    assert webhook_signing.matches(envelope, webhook_signing.sign(desk["secret"], envelope.msg_id,
                                                                  envelope.timestamp, raw["body"]))
    assert received["type"] == "build.decision"
    data = received["data"]
    assert {k: data[k] for k in ("build_id", "decision", "reason", "reviewer", "verdict")} == {
        "build_id": build_id, "decision": "approve", "reason": "SDK list fixed on the listing", "reviewer": "alice",
        "verdict": "warn"}
    assert data["decided_at"].endswith("Z") and data["verdict_url"].endswith("/v/vt_" + build_id)
    [attempt] = rt.record.deliveries(build_id)
    assert (attempt["type"], attempt["reason"], attempt["result"]) == ("build.decision", "decision", "delivered")


def test_refusals_say_why_with_their_status(rt, desk) -> None:  # type: ignore[no-untyped-def]
    build_id = decided(rt.record, "sdk-calls")
    for args, status, field in ((("maybe", "r", "alice"), 422, "decision"), (("approve", " ", "alice"), 422, "reason"),
                                (("approve", "r", ""), 422, "reviewer")):
        with pytest.raises(ReviewError) as err:
            review.decide(rt, "store-a", build_id, *args, identified_by=STORE_TOKEN)
        assert (err.value.status, err.value.field) == (status, field)
    store(rt.record, "http://127.0.0.1:9/cb", "store-b")
    with pytest.raises(ReviewError) as err:
        review.decide(rt, "store-b", build_id, "approve", "r", "alice",
                      identified_by=STORE_TOKEN)  # another store's build
    assert err.value.status == 404
    with pytest.raises(ReviewError) as err:
        review.decide(rt, "store-a", decided(rt.record, "clean"), "approve", "r", "alice",
                      identified_by=STORE_TOKEN)  # pass: nothing to review
    assert err.value.status == 409
    review.decide(rt, "store-a", build_id, "reject", "the SDK sends the IMEI", "alice", identified_by=STORE_TOKEN)
    with pytest.raises(ReviewError) as err:
        review.decide(rt, "store-a", build_id, "approve", "changed my mind", "bob", identified_by=STORE_TOKEN)
    assert err.value.status == 409 and rt.record.get_build(build_id)["review_status"] == "rejected"


def test_overriding_a_block_needs_a_senior_second_reviewer_when_the_policy_asks(rt, desk) -> None:  # type: ignore[no-untyped-def]
    rt.record.update_tenant("store-a", review_blocks=True)
    free = decided(rt.record, "debuggable")
    assert rt.record.get_build(free)["outcome"] == "block"
    assert not review.second_needed(rt, rt.record.get_build(free), "approve")  # the default asks for no second
    assert review.decide(rt, "store-a", free, "approve", "beta channel only", "alice",
                         identified_by=STORE_TOKEN)["reviewer"] == "alice"

    rt.record.update_tenant("store-a", policy_override={"review": {"second_reviewer_for_block": True}})
    build_id = decided(rt.record, "debuggable")
    assert review.second_needed(rt, rt.record.get_build(build_id), "approve")
    assert not review.second_needed(rt, rt.record.get_build(build_id), "reject")
    for second in (None, "alice", "bob", "nobody"):  # none, the same person, not a senior, not an account
        with pytest.raises(ReviewError) as err:
            review.decide(rt, "store-a", build_id, "approve", "beta channel only", "alice", second_reviewer=second,
                          identified_by=STORE_TOKEN)
        assert (err.value.status, err.value.field) == (422, "second_reviewer")
    assert rt.record.get_build(build_id)["review_status"] == "pending"
    out = review.decide(rt, "store-a", build_id, "approve", "beta channel only", "alice", second_reviewer="carol",
                        identified_by=STORE_TOKEN)
    assert out["reviewer"] == "alice+carol" and out["review_status"] == "approved"
    # the pages' two steps: the request is an audit row until a senior decides
    other = decided(rt.record, "debuggable")
    review.request_override(rt, other, "beta channel only", "bob")
    assert review.override_request(rt, other)["reviewer"] == "bob"  # type: ignore[index]
    assert [a["action"] for a in rt.record.audit_log(subject_kind="build", subject_id=other)] == [
        review.OVERRIDE_REQUESTED]


def test_waivers_match_by_rule_and_evidence_and_are_audited(rt, desk) -> None:  # type: ignore[no-untyped-def]
    build_id = decided(rt.record, "sdk-calls")
    build = rt.record.get_build(build_id)
    findings = build["verdict"]["findings"]
    target = next(f for f in findings if f["outcome"] in ("warn", "block") and f["evidence"])
    evidence = str(target["evidence"][0]["value"])
    with pytest.raises(ReviewError) as err:
        review.add_waiver(rt, "store-a", WaiverRequest("NO-SUCH-RULE", "r", package=build["package"]), "alice",
                          identified_by=STORE_TOKEN)
    assert (err.value.status, err.value.field) == (422, "rule_id")
    with pytest.raises(ReviewError):
        review.add_waiver(rt, "store-a", WaiverRequest(target["rule_id"], "r"), "alice",
                          identified_by=STORE_TOKEN)  # neither package nor dev
    with pytest.raises(ReviewError):
        review.add_waiver(rt, "store-a", WaiverRequest(target["rule_id"], "r", package=build["package"],
                                                       expires_at=time.time() - 5), "alice",
                          identified_by=STORE_TOKEN)
    narrow = review.add_waiver(rt, "store-a", WaiverRequest(target["rule_id"], "accepted", package=build["package"],
                                                             evidence_match="no such evidence"), "alice",
                               identified_by=STORE_TOKEN)
    assert review.waived(findings, review.waivers_for(rt, build)) == {}
    w = review.add_waiver(rt, "store-a", WaiverRequest(target["rule_id"], "accepted", package=build["package"],
                                                        evidence_match=evidence[:12],
                                                        expires_at=review.parse_time("2099-01-01", "expires_at")),
                          "alice", identified_by=REVIEW_SESSION)
    hits = review.waived(findings, review.waivers_for(rt, build))
    assert hits and all(findings[i]["rule_id"] == target["rule_id"] for i in hits)
    assert {h["id"] for h in hits.values()} == {w["id"]}
    with pytest.raises(ReviewError) as err:
        review.revoke_waiver(rt, "store-b", w["id"], "alice", identified_by=STORE_TOKEN)
    assert err.value.status == 404
    review.revoke_waiver(rt, "store-a", w["id"], "bob", identified_by=REVIEW_SESSION)
    review.revoke_waiver(rt, "store-a", narrow["id"], "bob", identified_by=STORE_TOKEN)
    assert review.waived(findings, review.waivers_for(rt, build)) == {}
    assert [(a["actor"], a["action"]) for a in rt.record.audit_log(subject_kind="waiver")] == [
        ("alice", "waiver.add"), ("alice", "waiver.add"), ("bob", "waiver.revoke"), ("bob", "waiver.revoke")]
    assert json.dumps(rt.record.audit_log(subject_kind="waiver")[1]["data"]).count(evidence[:12]) == 1
    assert [(a["data"].get("author_identified_by"), a["data"].get("revoked_by_identified_by"))
            for a in rt.record.audit_log(subject_kind="waiver")] == [
        ("store_token", None), ("review_session", None), (None, "review_session"), (None, "store_token")]
    assert [(x["author_identified_by"], x["revoked_by_identified_by"])
            for x in rt.record.waivers("store-a", include_revoked=True)] == [
        ("store_token", "store_token"), ("review_session", "review_session")]


def test_times_and_the_diff_against_the_previous_version(rt, desk) -> None:  # type: ignore[no-untyped-def]
    assert review.parse_time("2027-06-30", "x") == 1814313600.0
    assert review.parse_time("2027-06-30T08:00:00+08:00", "x") == 1814313600.0
    assert review.parse_time(12.5, "x") == 12.5 and review.parse_time(None, "x") is None
    with pytest.raises(ReviewError):
        review.parse_time("next tuesday", "expires_at")
    first = decided(rt.record, "clean", now=1000.0)
    assert review.diff(rt, rt.record.get_build(first)) is None  # a first version has nothing to compare with
    second = decided(rt.record, "clean-v2", now=2000.0)
    d = review.diff(rt, rt.record.get_build(second))
    assert d is not None and d["against"]["build_id"] == first and d["against"]["version_code"] == 1

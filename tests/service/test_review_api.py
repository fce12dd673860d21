"""The review desk through the store's API: the queue with its filters, decisions, waivers; the token's store
only; bad input answered with a problem naming the field, and nothing changed."""

from __future__ import annotations

import pytest

from tests.service.desk import decided, reviewers, store

OTHER = {"category": "online_lending", "app_name": "Other", "developer": {"name": "Other Ltd", "id": "dev-2"}}


@pytest.fixture()
def desk(rt, callback_server):  # type: ignore[no-untyped-def]
    t = store(rt.record, callback_server.url)
    reviewers(rt.record)
    return {"authorization": f"Bearer {t['token']}"}


def test_the_queue_filters_and_orders(client, rt, desk) -> None:  # type: ignore[no-untyped-def]
    a = decided(rt.record, "sdk-calls", now=100.0)
    b = decided(rt.record, "preconsent", now=200.0, listing=OTHER)
    decided(rt.record, "clean", now=300.0)

    def ids(query: str = "") -> list[str]:
        resp = client.get(f"/api/v1/review{query}", headers=desk)
        assert resp.status_code == 200, resp.json
        return [x["build_id"] for x in resp.json["builds"]]

    assert ids() == [b, a] and ids("?status=pending&order=oldest") == [a, b]
    assert ids("?rule=PI-PRECONSENT") == [b] and ids("?developer=dev-2") == [b]
    assert ids("?category=utility_tools") == [a] and ids("?sdk=no-such-sdk") == []
    assert len(ids("?status=not_required")) == 1
    first = client.get("/api/v1/review", headers=desk).json["builds"][0]
    assert first["decided_at"] == "1970-01-01T00:03:20Z" and "PI-PRECONSENT" in first["rules"]
    for query, field in (("?status=maybe", "status"), ("?order=sideways", "order"), ("?limit=0", "limit"),
                         ("?limit=x", "limit")):
        resp = client.get(f"/api/v1/review{query}", headers=desk)
        assert resp.status_code == 400 and resp.json["field"] == field
        assert resp.mimetype == "application/problem+json"
    assert client.get("/api/v1/review").status_code == 401
    assert client.get("/api/v1/review", headers={"authorization": "Bearer gt_wrong"}).status_code == 401
    other = store(rt.record, "http://127.0.0.1:9/cb", "store-b")
    assert client.get("/api/v1/review", headers={"authorization": f"Bearer {other['token']}"}).json == {"builds": []}


def test_decisions(client, rt, desk) -> None:  # type: ignore[no-untyped-def]
    build_id = decided(rt.record, "sdk-calls")
    url = f"/api/v1/builds/{build_id}/decision"
    bad = [
        ({"decision": "approve", "reviewer": "alice"}, 422, "reason"),
        ({"decision": "maybe", "reason": "r", "reviewer": "alice"}, 422, "decision"),
        ({"decision": "approve", "reason": "", "reviewer": "alice"}, 422, "reason"),
        ({"decision": "approve", "reason": "   ", "reviewer": "alice"}, 422, "reason"),
        ({"decision": "approve", "reason": "r", "reviewer": "alice", "reviwer2": "x"}, 422, "reviwer2"),
    ]
    for body, status, field in bad:
        resp = client.post(url, json=body, headers=desk)
        assert (resp.status_code, resp.json.get("field")) == (status, field), resp.json
    assert client.post(url, data="{not json", headers={**desk, "content-type": "application/json"}).status_code == 400
    assert client.post(url, data="decision=approve", headers={**desk, "content-type": "text/plain"}).status_code == 415
    assert client.post(url, json=["approve"], headers=desk).status_code == 400
    assert rt.record.get_build(build_id)["review_status"] == "pending"  # nothing changed so far
    assert client.post("/api/v1/builds/b_000000/decision", json={"decision": "approve", "reason": "r",
                                                                 "reviewer": "a"}, headers=desk).status_code == 404
    done = client.post(url, json={"decision": "reject", "reason": "sends the IMEI before consent",
                                  "reviewer": "store-reviewer-7"}, headers=desk)
    assert done.status_code == 201, done.json
    assert {k: done.json[k] for k in ("build_id", "decision", "review_status", "reviewer", "verdict")} == {
        "build_id": build_id, "decision": "reject", "review_status": "rejected", "reviewer": "store-reviewer-7",
        "verdict": "warn"}
    assert done.json["callback"]["status"] == "queued" and done.json["decided_at"].endswith("Z")
    again = client.post(url, json={"decision": "approve", "reason": "r", "reviewer": "a"}, headers=desk)
    assert again.status_code == 409 and "not waiting" in again.json["detail"]
    other = store(rt.record, "http://127.0.0.1:9/cb", "store-b")
    foreign = decided(rt.record, "sdk-calls", "store-b")
    resp = client.post(f"/api/v1/builds/{foreign}/decision", json={"decision": "approve", "reason": "r",
                                                                  "reviewer": "a"}, headers=desk)
    assert resp.status_code == 404 and rt.record.get_build(foreign)["review_status"] == "pending"
    assert other["name"] == "store-b"


def test_a_block_override_through_the_api_names_a_senior(client, rt, desk) -> None:  # type: ignore[no-untyped-def]
    rt.record.update_tenant("store-a", review_blocks=True,
                            policy_override={"review": {"second_reviewer_for_block": True}})
    build_id = decided(rt.record, "debuggable")
    url = f"/api/v1/builds/{build_id}/decision"
    body = {"decision": "approve", "reason": "internal beta", "reviewer": "alice"}
    resp = client.post(url, json=body, headers=desk)
    assert resp.status_code == 422 and resp.json["field"] == "second_reviewer"
    assert client.post(url, json={**body, "second_reviewer": "bob"}, headers=desk).status_code == 422
    resp = client.post(url, json={**body, "second_reviewer": "carol"}, headers=desk)
    assert resp.status_code == 201 and resp.json["reviewer"] == "alice+carol"


def test_a_reviewer_named_by_the_stores_token_is_recorded_as_such(client, rt, desk) -> None:  # type: ignore[no-untyped-def]
    """The token vouches for the store, not for the name: the decision, its audit row, the build.decision
    callback and the decisions report say the reviewer was named with the store's token."""
    build_id = decided(rt.record, "sdk-calls")
    done = client.post(f"/api/v1/builds/{build_id}/decision", headers=desk,
                       json={"decision": "reject", "reason": "sends the IMEI", "reviewer": "anyone-at-all"})
    assert done.status_code == 201 and done.json["reviewer_identified_by"] == "store_token"
    [decision] = rt.record.decisions(build_id)
    assert (decision["reviewer"], decision["reviewer_identified_by"]) == ("anyone-at-all", "store_token")
    [audit] = rt.record.audit_log(subject_kind="build", subject_id=build_id)
    assert (audit["actor"], audit["data"]["reviewer_identified_by"]) == ("anyone-at-all", "store_token")
    from gate.service.review import decision_event

    assert decision_event(rt, build_id)["data"]["reviewer_identified_by"] == "store_token"  # type: ignore[index]
    report = client.get("/api/v1/reports/decisions?from=2000-01-01&to=2100-01-01&format=jsonl", headers=desk)
    [row] = [r for r in map(__import__("json").loads, report.text.splitlines()) if r["build_id"] == build_id]
    assert (row["reviewer"], row["reviewer_identified_by"]) == ("anyone-at-all", "store_token")
    csv_header = client.get("/api/v1/reports/decisions?from=2000-01-01&to=2100-01-01&format=csv",
                            headers=desk).text.splitlines()[0]
    assert csv_header.endswith(",reviewed_at,reviewer_identified_by")


def test_a_store_can_require_an_api_named_reviewer_to_be_an_enabled_account(client, rt, desk) -> None:  # type: ignore[no-untyped-def]
    rt.record.update_tenant("store-a", policy_override={"review": {"api_reviewer_must_be_account": True}})
    build_id = decided(rt.record, "sdk-calls")
    url = f"/api/v1/builds/{build_id}/decision"
    rt.record.disable_reviewer("bob")
    for name in ("store-reviewer-7", "bob"):  # no such account; a disabled one
        resp = client.post(url, json={"decision": "approve", "reason": "r", "reviewer": name}, headers=desk)
        assert (resp.status_code, resp.json["field"]) == (422, "reviewer"), resp.json
        assert resp.mimetype == "application/problem+json" and "enabled reviewer account" in resp.json["detail"]
    assert rt.record.get_build(build_id)["review_status"] == "pending" and rt.record.decisions(build_id) == []
    done = client.post(url, json={"decision": "approve", "reason": "r", "reviewer": "alice"}, headers=desk)
    assert done.status_code == 201 and done.json["reviewer_identified_by"] == "store_token"
    # another store's policy (the default) takes any name
    other = store(rt.record, "http://127.0.0.1:9/cb", "store-b")
    foreign = decided(rt.record, "sdk-calls", "store-b")
    resp = client.post(f"/api/v1/builds/{foreign}/decision", headers={"authorization": f"Bearer {other['token']}"},
                       json={"decision": "approve", "reason": "r", "reviewer": "store-reviewer-7"})
    assert resp.status_code == 201


def test_a_store_can_require_an_api_named_waiver_author_to_be_an_enabled_account(client, rt, desk) -> None:  # type: ignore[no-untyped-def]
    build_id = decided(rt.record, "sdk-calls")
    package = rt.record.get_build(build_id)["package"]
    waiver = {"rule_id": "PI-CLIPBOARD", "reason": "paste button only", "package": package}
    # the default policy takes any name, and says it was the store's word
    anyone = client.post("/api/v1/waivers", json={**waiver, "author": "store-reviewer-7"}, headers=desk)
    assert anyone.status_code == 201 and anyone.json["author_identified_by"] == "store_token"
    rt.record.update_tenant("store-a", policy_override={"review": {"api_reviewer_must_be_account": True}})
    rt.record.disable_reviewer("bob")
    for name in ("store-reviewer-7", "bob"):  # no such account; a disabled one
        resp = client.post("/api/v1/waivers", json={**waiver, "author": name}, headers=desk)
        assert (resp.status_code, resp.json["field"]) == (422, "author"), resp.json
        assert resp.mimetype == "application/problem+json" and "enabled reviewer account" in resp.json["detail"]
        resp = client.delete(f"/api/v1/waivers?id={anyone.json['id']}&actor={name}", headers=desk)
        assert (resp.status_code, resp.json["field"]) == (422, "actor"), resp.json
    assert [w["id"] for w in rt.record.waivers("store-a")] == [anyone.json["id"]]
    assert [a["action"] for a in rt.record.audit_log(subject_kind="waiver")] == ["waiver.add"]
    made = client.post("/api/v1/waivers", json={**waiver, "author": "alice"}, headers=desk)
    assert made.status_code == 201 and made.json["author"] == "alice"
    gone = client.delete(f"/api/v1/waivers?id={made.json['id']}&actor=alice", headers=desk)
    assert gone.status_code == 200 and gone.json["revoked_by_identified_by"] == "store_token"
    # naming nobody, the store itself revokes it: recorded as api:STORE, no person claimed
    itself = client.delete(f"/api/v1/waivers?id={anyone.json['id']}", headers=desk)
    assert itself.status_code == 200
    assert (itself.json["revoked_by"], itself.json["revoked_by_identified_by"]) == ("api:store-a", "store_token")


def test_waivers(client, rt, desk) -> None:  # type: ignore[no-untyped-def]
    build_id = decided(rt.record, "sdk-calls")
    package = rt.record.get_build(build_id)["package"]
    good = {"rule_id": "PI-CLIPBOARD", "reason": "paste button only", "author": "alice", "package": package,
            "evidence_match": "ClipboardManager", "expires_at": "2099-12-31"}
    for change, status, field in (({"rule_id": "pi clipboard"}, 422, "rule_id"),
                                  ({"rule_id": "PI-NOTHING"}, 422, "rule_id"),
                                  ({"developer": "dev-1"}, 422, "package"),
                                  ({"package": None}, 422, "package"),
                                  ({"expires_at": "soon"}, 422, "expires_at"),
                                  ({"expires_at": "2001-01-01"}, 422, "expires_at"),
                                  ({"reason": ""}, 422, "reason"),
                                  ({"colour": "red"}, 422, "colour")):
        resp = client.post("/api/v1/waivers", json={**good, **change}, headers=desk)
        assert (resp.status_code, resp.json.get("field")) == (status, field), (change, resp.json)
    assert client.get("/api/v1/waivers", headers=desk).json == {"waivers": []}
    made = client.post("/api/v1/waivers", json=good, headers=desk)
    assert made.status_code == 201 and made.json["expires_at"] == "2099-12-31T00:00:00Z"
    assert (made.json["author_identified_by"], made.json["revoked_by_identified_by"]) == ("store_token", None)
    dev = client.post("/api/v1/waivers", json={**good, "package": None, "developer": "dev-1",
                                              "rule_id": "PI-DEVICE-ID", "expires_at": None}, headers=desk).json
    listed = client.get("/api/v1/waivers", headers=desk).json["waivers"]
    assert [w["id"] for w in listed] == [made.json["id"], dev["id"]]
    assert [w["id"] for w in client.get("/api/v1/waivers?rule=PI-DEVICE-ID", headers=desk).json["waivers"]] == [
        dev["id"]]
    assert client.delete("/api/v1/waivers?id=abc", headers=desk).status_code == 400
    assert client.delete("/api/v1/waivers?id=99999", headers=desk).status_code == 404
    other = store(rt.record, "http://127.0.0.1:9/cb", "store-b")
    foreign = {"authorization": f"Bearer {other['token']}"}
    assert client.delete(f"/api/v1/waivers?id={dev['id']}", headers=foreign).status_code == 404
    assert client.get("/api/v1/waivers", headers=foreign).json == {"waivers": []}
    gone = client.delete(f"/api/v1/waivers?id={dev['id']}&actor=bob", headers=desk)
    assert gone.status_code == 200 and gone.json["revoked_by"] == "bob" and gone.json["revoked_at"]
    assert (gone.json["author_identified_by"], gone.json["revoked_by_identified_by"]) == ("store_token",
                                                                                          "store_token")
    assert client.delete(f"/api/v1/waivers?id={dev['id']}", headers=desk).status_code == 404
    assert [w["id"] for w in client.get("/api/v1/waivers", headers=desk).json["waivers"]] == [made.json["id"]]
    assert len(client.get("/api/v1/waivers?include_revoked=1", headers=desk).json["waivers"]) == 2
    actions = [(a["actor"], a["action"]) for a in rt.record.audit_log(subject_kind="waiver")]
    assert actions == [("alice", "waiver.add"), ("alice", "waiver.add"), ("bob", "waiver.revoke")]

"""The record on SQLite and PostgreSQL: migrations, every repository call, history by version, the review desk,
waivers, the append-only audit log, the decisions report and the archive round trip. Verdicts are real ones
(fixture APKs scanned with the complete listing)."""

from __future__ import annotations

import copy
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from gate.core.history import finding_key as history_finding_key
from gate.record.db import current_revision, database_url, head_revision, upgrade
from gate.record.models import AuditRow, Base, FindingRow, FindingSdkRow, HistoryRow
from gate.record.repository import Record, RecordError, RecordHistory, check_password, finding_key, new_build_id
from tests.record.conftest import verdict

LISTING = {"category": "utility_tools", "developer": {"name": "Example Ltd", "id": "dev-1"}, "app_name": "x"}


def make_build(record: Record, tenant: str = "store-a", listing: dict[str, Any] | None = None,
               sha256: str | None = None, **extra: Any) -> str:
    build_id = new_build_id()
    record.create_build({"build_id": build_id, "tenant": tenant, "status": "queued", "received_at": time.time(),
                         "verdict_token": "vt_" + build_id, "apk_name": "app.apk", "apk_sha256": sha256,
                         "listing": listing if listing is not None else LISTING, **extra})
    return build_id


def decided(record: Record, fixture: str, tenant: str = "store-a", *, now: float | None = None,
            listing: dict[str, Any] | None = None) -> str:
    build_id = make_build(record, tenant, listing)
    assert record.finalize(build_id, "done", verdict(fixture), now=now)
    return build_id


@pytest.fixture
def tenant(record: Record) -> str:
    record.add_tenant("store-a", "https://store-a.example/cb", ["cdn.store-a.example"], secret="whsec_test")
    return "store-a"


# -- schema ----------------------------------------------------------------------------------------------------

def test_migrations_upgrade_an_empty_database_to_the_models(engine: Engine) -> None:
    assert current_revision(engine) is None
    assert upgrade(engine) == head_revision()
    assert upgrade(engine) == head_revision()  # again: nothing to do
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"the models and the migrations disagree: {diff}"


def test_the_default_database_is_a_sqlite_file_under_the_data_directory(tmp_path: Path) -> None:
    assert database_url({"GATE_DATA_DIR": str(tmp_path)}) == f"sqlite:///{tmp_path / 'gate.db'}"
    assert database_url({"DATABASE_URL": "postgres://u@h/db"}) == "postgresql+psycopg://u@h/db"
    url = database_url({"GATE_DATA_DIR": str(tmp_path / "var")})
    upgrade(url)
    rec = Record.from_url(url)
    with rec.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    rec.engine.dispose()
    assert (tmp_path / "var" / "gate.db").is_file()


# -- tenants ---------------------------------------------------------------------------------------------------

def test_tenants_crud_and_token_lookup(record: Record) -> None:
    tenant, token = record.add_tenant("store-a", "https://a.example/cb", ["CDN.a.example"], "cn-strict",
                                      secret="whsec_1")
    assert tenant.allowed_hosts == ["cdn.a.example"] and tenant.policy == "cn-strict"
    assert record.tenant_by_token(token) == tenant
    assert record.tenant_by_token(token + "x") is None
    with pytest.raises(RecordError, match="already exists"):
        record.add_tenant("store-a", "https://a.example/cb", secret="whsec_2")
    with pytest.raises(RecordError):
        record.add_tenant("Bad Name", "https://a.example/cb", secret="whsec_2")
    rotated, new_token = record.rotate_tenant("store-a", secret="whsec_3")
    assert rotated.secret == "whsec_3" and record.tenant_by_token(token) is None
    assert record.tenant_by_token(new_token) == rotated
    updated = record.update_tenant("store-a", callback_disabled=True, review_blocks=True,
                                   policy_override={"outcomes": {"PKG-DEBUGGABLE": "warn"}})
    assert updated.callback_disabled and updated.review_blocks
    assert record.get_tenant("store-a") == updated
    record.add_tenant("store-b", "http://b.example/cb", secret="whsec_b")
    assert [t.name for t in record.list_tenants()] == ["store-a", "store-b"]
    assert record.delete_tenant("store-b") and record.get_tenant("store-b") is None
    assert [a["action"] for a in record.audit_log(tenant="store-a")] == ["tenant.add", "tenant.rotate",
                                                                         "tenant.update"]


# -- builds ----------------------------------------------------------------------------------------------------

def test_create_get_update_and_run_a_build(record: Record, tenant: str) -> None:
    build_id = make_build(record, artifact={"url": "https://cdn.store-a.example/a.apk", "sha256": "ab" * 32},
                          job_id=None)
    build = record.get_build(build_id)
    assert build is not None and build["status"] == "queued" and build["listing"] == LISTING
    assert build["artifact"]["url"].endswith("a.apk") and "verdict" not in build
    assert record.build_by_page_token("vt_" + build_id) == build
    assert record.build_by_page_token("nope") is None
    record.update_build(build_id, job_id="j1", apk_size=1234, last_problem="worker died")
    record.update_build(build_id, job_id="j2")
    assert record.mark_running(build_id) == 1
    assert record.mark_running(build_id) == 2
    build = record.get_build(build_id)
    assert build is not None
    assert (build["job_id"], build["last_problem"], build["apk_size"], build["status"]) == \
        ("j2", "worker died", 1234, "running")
    assert record.get_build("b_missing") is None


def test_finalize_stores_verdict_findings_and_history_once(record: Record, tenant: str, engine: Engine) -> None:
    v = verdict("sdk-calls")
    build_id = make_build(record)
    assert record.finalize(build_id, "done", v)
    assert not record.finalize(build_id, "done", verdict("clean")), "a decided build is never decided again"
    build = record.get_build(build_id)
    assert build is not None
    assert build["verdict"] == v and build["outcome"] == "warn" and build["review_status"] == "pending"
    assert build["package"] == v["app"]["package"] and build["developer"] == "dev-1"
    with engine.connect() as conn:
        rows = conn.execute(select(FindingRow).where(FindingRow.build_id == build_id)
                            .order_by(FindingRow.seq)).all()
        sdk_rows = conn.execute(select(FindingSdkRow.sdk, func.count()).group_by(FindingSdkRow.sdk)).all()
    assert [(r.rule_id, r.outcome) for r in rows] == [(f["rule_id"], f["outcome"]) for f in v["findings"]]
    assert [r.evidence_key for r in rows] == [history_finding_key(f) for f in v["findings"]]
    assert all(r.package == v["app"]["package"] and r.category == "utility_tools" for r in rows)
    named = {e["sdk"] for f in v["findings"] for e in f["evidence"] if e.get("sdk")}
    assert {s for s, _ in sdk_rows} == named and named >= {"jpush", "umeng-common"}
    history = record.history(tenant, v["app"]["package"])
    assert len(history) == 1 and history[0]["build_id"] == build_id and history[0]["builds"] == 1
    assert history[0]["findings"] == sorted({history_finding_key(f) for f in v["findings"]
                                             if f["outcome"] in ("warn", "block")})


def test_finalize_is_decided_once_under_concurrency(record: Record, tenant: str) -> None:
    build_id = make_build(record)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def go(name: str) -> None:
        barrier.wait()
        results.append(record.finalize(build_id, "done", verdict(name)))

    threads = [threading.Thread(target=go, args=(n,)) for n in ("sdk-calls", "clean", "debuggable", "preconsent")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert len(record.history(tenant, record.get_build(build_id)["package"])) == 1  # type: ignore[index]


def test_concurrent_updates_of_one_build_lose_nothing(record: Record, tenant: str) -> None:
    """Read-modify-write of a build's extra fields from several threads (SQLite: BEGIN IMMEDIATE waits)."""
    build_id = make_build(record)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def go(i: int) -> None:
        barrier.wait()
        try:
            for j in range(5):
                record.update_build(build_id, **{f"field_{i}_{j}": j})
                record.mark_running(build_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    build = record.get_build(build_id)
    assert build is not None and build["attempts"] == 30
    assert all(build[f"field_{i}_{j}"] == j for i in range(6) for j in range(5))


def test_review_status_follows_the_verdict_and_the_store(record: Record, tenant: str) -> None:
    assert record.get_build(decided(record, "clean"))["review_status"] == "not_required"  # type: ignore[index]
    assert record.get_build(decided(record, "debuggable"))["review_status"] == "not_required"  # type: ignore[index]
    record.update_tenant(tenant, review_blocks=True)
    assert record.get_build(decided(record, "debuggable"))["review_status"] == "pending"  # type: ignore[index]
    failed = make_build(record)
    assert record.finalize(failed, "failed", verdict("preconsent"))
    assert record.get_build(failed)["review_status"] == "not_required"  # type: ignore[index]
    assert record.history(tenant, verdict("preconsent")["app"]["package"]) == [], "a failed build is no version"


def test_the_same_binary_again_is_the_same_version(record: Record, tenant: str) -> None:
    package = verdict("clean")["app"]["package"]
    first = decided(record, "clean", now=1000.0)
    second = decided(record, "clean", now=2000.0)
    history = record.history(tenant, package)
    assert len(history) == 1
    assert (history[0]["first_build_id"], history[0]["build_id"], history[0]["builds"]) == (first, second, 2)
    assert history[0]["first_decided_at"] == 1000.0 and history[0]["decided_at"] == 2000.0
    third = decided(record, "clean-v2", now=3000.0)  # the same package, a new version
    history = record.history(tenant, package)
    assert [h["version_code"] for h in history] == [1, 2] and history[1]["build_id"] == third
    # the binary under analysis is not its own previous version
    seen = RecordHistory(record, tenant, verdict("clean")["app"]["sha256"]).versions(package)
    assert [h["version_code"] for h in seen] == [2]
    # the same version code with other bytes is another version
    other = copy.deepcopy(verdict("clean"))
    other["app"]["sha256"] = "f" * 64
    record.append_history(tenant, package, "cli-1", other)
    assert len(record.history(tenant, package)) == 3
    # another store's history is its own
    record.add_tenant("store-b", "https://b.example/cb", secret="whsec_b")
    assert record.history("store-b", package) == []


def test_builds_for_package_newest_first(record: Record, tenant: str) -> None:
    ids = [decided(record, "clean", now=float(t)) for t in (10, 30, 20)]
    got = record.builds_for_package(tenant, verdict("clean")["app"]["package"])
    assert [b["build_id"] for b in got] == [ids[1], ids[2], ids[0]]
    assert record.builds_for_package(tenant, verdict("clean")["app"]["package"], limit=1)[0]["build_id"] == ids[1]


def test_deliveries_in_order(record: Record, tenant: str) -> None:
    build_id = decided(record, "clean")
    record.record_delivery(build_id, {"result": "retrying", "status_code": 503})
    record.record_delivery(build_id, {"result": "delivered", "status_code": 200})
    assert [d["result"] for d in record.deliveries(build_id)] == ["retrying", "delivered"]
    assert record.deliveries("b_other") == []


def test_delisted_registry(record: Record, tenant: str) -> None:
    with pytest.raises(RecordError):
        record.delist(None, None, "notice")
    with pytest.raises(RecordError):
        record.delist("com.x", None, "  ")
    entry = record.delist("com.bad.app", "dev-9", "MIIT notice 2024-1")
    assert record.delisted_lookup("com.bad.app", None) == entry
    assert record.delisted_lookup("com.other", "dev-9") == entry
    assert record.delisted_lookup("com.other", "dev-1") is None
    record.delist("com.bad.app", None, "MIIT notice 2024-2")
    assert record.delisted_lookup("com.bad.app", None)["notice"] == "MIIT notice 2024-2"  # type: ignore[index]
    assert len(record.delisted_entries()) == 2
    assert record.undelist(developer="dev-9") and record.delisted_lookup("com.other", "dev-9") is None
    assert not record.undelist(package="com.never")


# -- the review desk -------------------------------------------------------------------------------------------

def test_review_queue_filters_and_order(record: Record, tenant: str) -> None:
    other = {"category": "online_lending", "developer": {"name": "Other", "id": "dev-2"}}
    a = decided(record, "sdk-calls", now=100.0)
    b = decided(record, "preconsent", now=200.0, listing=other)
    decided(record, "clean", now=300.0)  # pass: not in the queue
    record.add_tenant("store-b", "https://b.example/cb", secret="whsec_b")
    decided(record, "preconsent", "store-b", now=400.0)

    def ids(**kw: Any) -> list[str]:
        return [r["build_id"] for r in record.review_queue(tenant, **kw)]

    assert ids() == [b, a]
    assert ids(oldest_first=True) == [a, b]
    assert ids(rule="PI-PRECONSENT") == [b]
    assert ids(rule="PI-CLIPBOARD") == [a]
    assert ids(sdk="umeng-common") == [b, a] and ids(sdk="no-such-sdk") == []
    assert ids(developer="dev-2") == [b] and ids(category="utility_tools") == [a]
    assert ids(limit=1) == [b] and ids(limit=1, offset=1) == [a]
    first = record.review_queue(tenant)[0]
    assert first["verdict"] == "warn" and "PI-PRECONSENT" in first["rules"] and "PI-PERMISSIONS" not in first["rules"]
    assert len(record.review_queue(None)) == 3


def test_decide_records_the_decision_and_its_audit_row(record: Record, tenant: str) -> None:
    build_id = decided(record, "sdk-calls")
    with pytest.raises(RecordError, match="reason"):
        record.decide(build_id, "approve", " ", "alice")
    with pytest.raises(RecordError):
        record.decide(build_id, "maybe", "why", "alice")
    with pytest.raises(RecordError, match="identified by"):
        record.decide(build_id, "approve", "why", "alice", identified_by="a little bird")
    out = record.decide(build_id, "approve", "SDK list updated on the listing", "alice", now=5000.0,
                        identified_by="review_session")
    assert out["review_status"] == "approved" and out["decided_at"] == 5000.0
    assert record.get_build(build_id)["review_status"] == "approved"  # type: ignore[index]
    with pytest.raises(RecordError, match="not waiting"):
        record.decide(build_id, "reject", "changed my mind", "bob")
    assert record.decisions(build_id) == [{"decision": "approve", "reason": "SDK list updated on the listing",
                                           "reviewer": "alice", "reviewer_identified_by": "review_session",
                                           "decided_at": 5000.0,
                                           "callback": {"job_id": None, "result": None, "delivered_at": None}}]
    audit = record.audit_log(subject_kind="build", subject_id=build_id)
    assert [(a["actor"], a["action"]) for a in audit] == [("alice", "build.approve")]
    assert audit[0]["data"]["reviewer_identified_by"] == "review_session"
    with pytest.raises(RecordError, match="not waiting"):
        record.decide(decided(record, "clean"), "approve", "ok", "alice")


def test_a_decisions_callback_is_tracked_until_it_has_a_final_result(record: Record, tenant: str) -> None:
    """Never queued, queued, retrying: still owed to the store (the reaper's list); delivered, gone, given up:
    done. A delivered callback stays delivered whatever a late attempt says."""
    owed = {name: decided(record, "sdk-calls") for name in ("unqueued", "queued", "retrying", "delivered", "gone",
                                                              "gave_up", "old")}
    for name, build_id in owed.items():
        record.decide(build_id, "reject", "r", "alice", now=1000.0 if name == "old" else 5000.0)
    assert not record.set_decision_callback(decided(record, "sdk-calls"), job_id="j-none")  # no decision there
    assert record.set_decision_callback(owed["queued"], job_id="j-1")
    for name in ("retrying", "delivered", "gone", "gave_up"):
        record.set_decision_callback(owed[name], job_id=f"j-{name}")
        record.set_decision_callback(owed[name], result=name, now=6000.0)
    with pytest.raises(RecordError, match="callback result"):
        record.set_decision_callback(owed["queued"], result="maybe")
    assert record.decisions(owed["delivered"])[-1]["callback"] == {"job_id": "j-delivered", "result": "delivered",
                                                                  "delivered_at": 6000.0}
    assert not record.set_decision_callback(owed["delivered"], result="retrying")  # a late attempt changes nothing
    assert record.decisions(owed["delivered"])[-1]["callback"]["result"] == "delivered"
    assert record.decisions_to_call_back(older_than=5500.0, since=2000.0) == [
        {"build_id": owed["unqueued"], "job_id": None, "result": None},
        {"build_id": owed["queued"], "job_id": "j-1", "result": None},
        {"build_id": owed["retrying"], "job_id": "j-retrying", "result": "retrying"}]
    assert record.decisions_to_call_back(older_than=4000.0, since=0.0) == [
        {"build_id": owed["old"], "job_id": None, "result": None}]  # the window is the caller's


def test_migration_0003_backfills_the_callbacks_of_earlier_decisions(engine: Engine) -> None:
    """Decisions made before the callback columns existed get their latest build.decision attempt's result from
    the deliveries; one with none stays owed (the reaper sends it if it is recent)."""
    upgrade(engine, "0002")
    old = Record(engine)
    old.add_tenant("store-a", "https://store-a.example/cb", [], secret="whsec_test")
    sent, failed, never = (decided(old, "sdk-calls") for _ in range(3))
    with engine.begin() as conn:
        for build_id in (sent, failed, never):
            conn.execute(text("INSERT INTO decisions (build_id, tenant, decision, reason, reviewer, decided_at) "
                              "VALUES (:b, 'store-a', 'reject', 'r', 'alice', 5000.0)"), {"b": build_id})
    old.record_delivery(sent, {"type": "build.decision", "result": "retrying"})
    old.record_delivery(sent, {"type": "build.decision", "result": "delivered"})
    old.record_delivery(failed, {"type": "build.decision", "result": "gave_up"})
    old.record_delivery(never, {"type": "build.verdict", "result": "delivered"})  # the verdict's, not the decision's
    assert upgrade(engine) == head_revision()
    new = Record(engine)
    assert new.decisions(sent)[-1]["callback"]["result"] == "delivered"
    assert new.decisions(sent)[-1]["callback"]["delivered_at"] is not None
    assert new.decisions(failed)[-1]["callback"] == {"job_id": None, "result": "gave_up", "delivered_at": None}
    assert new.decisions(never)[-1]["callback"] == {"job_id": None, "result": None, "delivered_at": None}
    assert [d["build_id"] for d in new.decisions_to_call_back(6000.0, 0.0)] == [never]


def test_a_waiver_added_before_0005_says_nothing_of_how_its_author_was_identified(engine: Engine) -> None:
    upgrade(engine, "0004")
    Record(engine).add_tenant("store-a", "https://store-a.example/cb", [], secret="whsec_test")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO waivers (tenant, package, rule_id, reason, author, created_at) "
                          "VALUES ('store-a', 'com.a', 'PI-CLIPBOARD', 'r', 'alice', 5000.0)"))
    assert upgrade(engine) == head_revision()
    [old] = Record(engine).waivers("store-a")
    assert (old["author"], old["author_identified_by"], old["revoked_by_identified_by"]) == ("alice", None, None)


def test_a_blocked_build_needs_a_second_reviewer_when_the_store_asks(record: Record, tenant: str) -> None:
    record.update_tenant(tenant, review_blocks=True)
    build_id = decided(record, "debuggable")
    with pytest.raises(RecordError, match="second"):
        record.decide(build_id, "approve", "debug build accepted for a beta", "alice", second_for_block=True)
    with pytest.raises(RecordError, match="second"):
        record.decide(build_id, "approve", "beta", "alice", second_reviewer="alice", second_for_block=True)
    out = record.decide(build_id, "approve", "beta", "alice", second_reviewer="carol", second_for_block=True)
    assert out["reviewer"] == "alice+carol"


def test_reviewers_hashed_passwords_roles_and_disable(record: Record, engine: Engine) -> None:
    with pytest.raises(RecordError):
        record.add_reviewer("alice", "short", "reviewer")
    with pytest.raises(RecordError):
        record.add_reviewer("alice", "long enough pw", "boss")
    record.add_reviewer("alice", "correct horse battery", "senior")
    with pytest.raises(RecordError):
        record.add_reviewer("alice", "correct horse battery", "senior")
    with engine.connect() as conn:
        stored = conn.execute(text("select password_hash from reviewers")).scalar_one()
    assert "correct horse" not in stored and check_password("correct horse battery", stored)
    assert record.authenticate("alice", "correct horse battery") == {"name": "alice", "role": "senior"}
    assert record.authenticate("alice", "wrong password") is None
    assert record.authenticate("nobody", "correct horse battery") is None
    assert record.disable_reviewer("alice")
    assert record.authenticate("alice", "correct horse battery") is None
    assert record.reviewers()[0]["disabled"] is True


def test_waivers_crud_with_audit_rows(record: Record, tenant: str) -> None:
    with pytest.raises(RecordError):
        record.add_waiver(tenant, "PI-CLIPBOARD", "why", "alice", package="com.a", developer="dev-1")
    with pytest.raises(RecordError):
        record.add_waiver(tenant, "PI-CLIPBOARD", "why", "alice")
    with pytest.raises(RecordError):
        record.add_waiver(tenant, "PI-CLIPBOARD", "why", "alice", package="com.a", expires_at=time.time() - 1)
    with pytest.raises(RecordError):
        record.add_waiver("no-store", "PI-CLIPBOARD", "why", "alice", package="com.a")
    with pytest.raises(RecordError, match="identified by"):
        record.add_waiver(tenant, "PI-CLIPBOARD", "why", "alice", package="com.a", identified_by="a little bird")
    later = time.time() + 3600
    w = record.add_waiver(tenant, "PI-CLIPBOARD", "paste button only", "alice", package="com.a",
                          evidence_match="ClipboardManager", expires_at=later, identified_by="store_token")
    d = record.add_waiver(tenant, "PI-DEVICE-ID", "vendor attested", "alice", developer="dev-1")
    assert record.get_waiver(w["id"]) == w
    assert (w["author_identified_by"], w["revoked_by_identified_by"]) == ("store_token", None)
    assert d["author_identified_by"] is None  # not said: as a waiver added before the record kept it
    assert [x["id"] for x in record.matching_waivers(tenant, "com.a", "dev-1")] == [w["id"], d["id"]]
    assert [x["id"] for x in record.matching_waivers(tenant, "com.b", None)] == []
    assert [x["id"] for x in record.matching_waivers(tenant, "com.a", None, at=later + 1)] == []
    updated = record.update_waiver(w["id"], "bob", reason="paste button only (re-checked)")
    assert updated["reason"] == "paste button only (re-checked)"
    with pytest.raises(RecordError, match="identified by"):
        record.revoke_waiver(w["id"], "bob", identified_by="a little bird")
    assert record.revoke_waiver(w["id"], "bob", identified_by="review_session")
    assert not record.revoke_waiver(w["id"], "bob")
    revoked = record.get_waiver(w["id"])
    assert revoked is not None
    assert (revoked["revoked_by"], revoked["revoked_by_identified_by"]) == ("bob", "review_session")
    assert revoked["author_identified_by"] == "store_token"
    with pytest.raises(RecordError):
        record.update_waiver(w["id"], "bob", reason="again")
    assert [x["id"] for x in record.waivers(tenant)] == [d["id"]]
    assert len(record.waivers(tenant, include_revoked=True)) == 2
    audit = record.audit_log(subject_kind="waiver")
    assert [(a["actor"], a["action"]) for a in audit] == [("alice", "waiver.add"), ("alice", "waiver.add"),
                                                          ("bob", "waiver.update"), ("bob", "waiver.revoke")]
    assert audit[2]["data"]["before"]["reason"] == "paste button only"
    assert audit[0]["data"]["author_identified_by"] == "store_token"
    assert audit[3]["data"] == {"revoked_by_identified_by": "review_session"}


def test_the_audit_log_is_append_only(record: Record, tenant: str, engine: Engine) -> None:
    record.decide(decided(record, "sdk-calls"), "reject", "undisclosed SDKs", "alice")
    mutators = [n for n in dir(record) if "audit" in n and any(w in n for w in ("update", "delete", "remove", "edit"))]
    assert mutators == [], "the record offers no call that changes or removes an audit row"
    before = record.audit_log()
    assert before
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    assert record.audit_log() == before
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditRow)) == len(before)


# -- reports and retention ---------------------------------------------------------------------------------------

def test_decisions_report_between_dates(record: Record, tenant: str) -> None:
    early = decided(record, "sdk-calls", now=1000.0)
    mid = decided(record, "debuggable", now=2000.0)
    decided(record, "clean", now=9000.0)
    record.decide(early, "reject", "undisclosed SDKs", "alice", now=2500.0)
    rows = record.decisions_report(1500.0, 3000.0)
    assert [r["build_id"] for r in rows] == [early, mid]  # early: its review fell in the window
    by_id = {r["build_id"]: r for r in rows}
    assert by_id[early]["decision"] == "reject" and by_id[early]["reviewer"] == "alice"
    assert by_id[early]["reviewed_at"] == 2500.0 and "PI-SDK-UNDISCLOSED" in by_id[early]["rules"]
    assert by_id[mid]["decision"] is None and by_id[mid]["rules"] == ["PKG-DEBUGGABLE"]
    assert by_id[mid]["verdict"] == "block"
    assert record.decisions_report(5000.0, 6000.0) == []
    assert record.decisions_report(0, 10_000, tenant="store-z") == []


def test_archive_writes_json_lines_then_deletes_and_restores(record: Record, tenant: str, engine: Engine,
                                                             tmp_path: Path) -> None:
    now = time.time()
    old = [make_build(record, received_at=now - 40 * 86400) for _ in range(3)]
    for build_id, name in zip(old, ("sdk-calls", "debuggable", "clean"), strict=True):
        assert record.finalize(build_id, "done", verdict(name))
    record.record_delivery(old[0], {"result": "delivered"})
    record.decide(old[0], "approve", "listing fixed", "alice")
    in_flight = make_build(record, received_at=now - 40 * 86400)  # old but not decided: kept
    recent = decided(record, "preconsent")
    before = {b: (record.get_build(b), record.deliveries(b), record.decisions(b)) for b in old}
    audit_before = record.audit_log()

    result = record.archive(30, tmp_path / "archive", now=now, batch=2)
    assert result["builds"] == 3
    lines = Path(result["file"]).read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(x)["build"]["build_id"] for x in lines) == sorted(old)
    assert all(record.get_build(b) is None for b in old)
    assert record.get_build(in_flight) is not None and record.get_build(recent) is not None
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(FindingRow)
                           .where(FindingRow.build_id.in_(old))) == 0
        assert (conn.scalar(select(func.count()).select_from(HistoryRow)) or 0) >= 3, "history stays"
    assert record.audit_log() == audit_before, "the audit log stays"
    assert record.archive(30, tmp_path / "archive", now=now) == {"builds": 0, "file": None,
                                                                 "cutoff": now - 30 * 86400}

    assert record.restore(result["file"]) == 3
    after = {b: (record.get_build(b), record.deliveries(b), record.decisions(b)) for b in old}
    assert after == before
    assert [r["build_id"] for r in record.review_queue(tenant, status="approved")] == [old[0]]


def test_finding_key_matches_the_history_module() -> None:
    for name in ("sdk-calls", "preconsent", "debuggable"):
        for f in verdict(name)["findings"]:
            assert finding_key(f) == history_finding_key(f)

"""The service on its record: review status on every build, waivers applied to the verdict and its page,
and Redis left with nothing of a decided build but keys that expire."""

from __future__ import annotations

import json
import time

from tests.conftest import LISTINGS, fixture_apk
from tests.service.conftest import post_build, wait_status

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


def _decide(client, rt, tenant, workers, apk: str):  # type: ignore[no-untyped-def]
    build_id = post_build(client, tenant, fixture_apk(apk), LISTING, msg_id=f"msg_{apk}_{time.time_ns()}").json[
        "build_id"]
    workers.burst()
    wait_status(rt, build_id, ("done", "failed"))
    return client.get(f"/api/v1/builds/{build_id}", headers={"authorization": f"Bearer {tenant['token']}"}).json


def test_every_decided_build_has_a_review_status(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    clean = _decide(client, rt, tenant, workers, "clean")
    warned = _decide(client, rt, tenant, workers, "self-start")
    assert (clean["verdict"], clean["review_status"]) == ("pass", "not_required")
    assert (warned["verdict"], warned["review_status"]) == ("warn", "pending")
    listed = client.get("/api/v1/builds", headers={"authorization": f"Bearer {tenant['token']}"}).json["builds"]
    assert {b["build_id"]: b["review_status"] for b in listed} == {clean["build_id"]: "not_required",
                                                                   warned["build_id"]: "pending"}
    queued = post_build(client, tenant, fixture_apk("clean"), LISTING, msg_id="msg_undecided").json["build_id"]
    doc = client.get(f"/api/v1/builds/{queued}", headers={"authorization": f"Bearer {tenant['token']}"}).json
    assert doc["status"] == "queued" and "review_status" not in doc  # nothing to review before the verdict


def test_a_store_that_reviews_blocks_gets_blocked_builds_pending(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    blocked = _decide(client, rt, tenant, workers, "debuggable")
    assert (blocked["verdict"], blocked["review_status"]) == ("block", "not_required")
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    cli = subprocess.run([sys.executable, "-m", "gate.cli", "tenants", "policy", tenant["name"], "--review-blocks",
                          "yes"], capture_output=True, text=True, env={**os.environ, **rt.settings.env()}, cwd=ROOT)
    assert cli.returncode == 0 and json.loads(cli.stdout)["review_blocks"] is True, cli.stderr
    again = _decide(client, rt, tenant, workers, "debuggable")
    assert (again["verdict"], again["review_status"]) == ("block", "pending")


def test_an_active_waiver_turns_the_finding_into_info_on_the_verdict_and_page(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    before = _decide(client, rt, tenant, workers, "self-start")
    [warned] = [f for f in before["findings"] if f["outcome"] == "warn"]
    package = before["app"]["package"]
    other = rt.record.add_waiver(tenant["name"], warned["rule_id"], "not this evidence", "ana",
                                 package=package, evidence_match="no.such.Component")
    expiring = rt.record.add_waiver(tenant["name"], warned["rule_id"], "自启动用于推送，已审核", "li.wei",
                                    package=package, expires_at=time.time() + 86400, identified_by="store_token")
    after = _decide(client, rt, tenant, workers, "self-start")
    [waived] = [f for f in after["findings"] if f["rule_id"] == warned["rule_id"]]
    assert waived["outcome"] == "info"
    assert waived["waiver"]["id"] == expiring["id"] != other["id"]
    assert (waived["waiver"]["reason"], waived["waiver"]["author"], waived["waiver"]["outcome"]) == (
        "自启动用于推送，已审核", "li.wei", "warn")
    assert waived["waiver"]["expires_at"].endswith("Z")
    assert waived["waiver"]["author_identified_by"] == "store_token"
    assert after["verdict"] == "pass" and after["review_status"] == "not_required"
    assert after["summary"]["warn"] == 0
    token = after["verdict_url"].rsplit("/", 1)[1]
    zh = client.get(f"/v/{token}").get_data(as_text=True)
    assert "已豁免" in zh and "自启动用于推送，已审核" in zh and "li.wei" in zh
    en = client.get(f"/v/{token}?lang=en").get_data(as_text=True)
    assert "Waived" in en and "Waived by the store" in en
    assert "li.wei <small class=\"identified\">(named by the store with its API token)</small>" in en
    assert "由商店通过接口令牌指名" in zh
    # revoked: the next build is warned again
    assert rt.record.revoke_waiver(expiring["id"], "li.wei")
    revoked = _decide(client, rt, tenant, workers, "self-start")
    assert revoked["verdict"] == "warn" and not any("waiver" in f for f in revoked["findings"])


def test_a_decided_build_leaves_only_expiring_keys_in_redis(client, rt, tenant, workers, callback_server) -> None:  # type: ignore[no-untyped-def]
    for apk in ("clean", "self-start", "debuggable"):
        _decide(client, rt, tenant, workers, apk)
    callback_server.wait_for(3)
    workers.burst()
    gate_keys = list(rt.store.r.scan_iter(match=rt.settings.key_prefix + "*"))
    metrics = rt.settings.key_prefix + "metrics:"
    lasting = [k for k in gate_keys if rt.store.r.ttl(k) < 0 and not k.startswith(metrics)]
    assert gate_keys and not lasting, lasting
    # RQ's own keys of the finished jobs expire too (result and failure TTLs); its registries are bounded
    rq_jobs = [k for k in rt.rq.scan_iter(match=b"rq:job:*")]
    assert rq_jobs and all(rt.rq.ttl(k) > 0 for k in rq_jobs)


def test_the_first_start_on_an_old_redis_store_imports_it_once(settings, client) -> None:  # type: ignore[no-untyped-def]
    """A gate upgraded from the Redis-only store: the service's first start moves the old keys into the empty
    record (tenants keep their credentials, builds their verdict page), and a second start moves nothing."""
    from gate.record.build import Build
    from gate.record.legacy_store import RedisOnlyStore as Store
    from gate.service.runtime import Runtime
    from tests.record.conftest import verdict

    old = Store.from_url(str(settings.redis_url), settings.key_prefix)
    tenant, token = old.add_tenant("store-old", "http://127.0.0.1:9/cb")
    old.create_build(Build(build_id="b_old1", tenant="store-old", status="queued", received_at=1000.0,
                           verdict_token="old-page-token", listing=LISTING))
    old.mark_running("b_old1")
    assert old.finalize("b_old1", "done", verdict("clean"))

    rt = Runtime(settings)
    moved = rt.record.get_tenant("store-old")
    assert moved is not None and moved.secret == tenant.secret
    build = client.get("/api/v1/builds/b_old1", headers={"authorization": f"Bearer {token}"})
    assert build.status_code == 200 and build.json["verdict"] == "pass" and build.json["status"] == "done"
    assert client.get("/v/old-page-token").status_code == 200
    old.add_tenant("store-later", "http://127.0.0.1:9/cb")  # written to the old keys after the import
    assert Runtime(settings).record.get_tenant("store-later") is None  # imported once, not again


def test_the_whole_path_on_each_database(db_settings, runtimes, callback_server) -> None:  # type: ignore[no-untyped-def]
    """Webhook, worker, verdict, history by version, callback and API, on SQLite and on PostgreSQL."""
    from gate.service.runtime import Runtime
    from gate.web.app import create_app
    from tests.service.conftest import Workers

    rt = Runtime(db_settings)
    runtimes.append(rt)
    t, token = rt.record.add_tenant("store-a", callback_server.url, allowed_hosts=["127.0.0.1"])
    tenant = {"name": t.name, "secret": t.secret, "token": token}
    app = create_app({f: getattr(db_settings, f) for f in db_settings.__dataclass_fields__})
    runtimes.append(app.extensions["gate"])
    client = app.test_client()
    workers = Workers(db_settings)
    try:
        docs = [_decide(client, rt, tenant, workers, "self-start") for _ in range(2)]
    finally:
        workers.stop_all()
    assert [(d["verdict"], d["review_status"]) for d in docs] == [("warn", "pending")] * 2
    assert all("PLT-RECURRENCE" not in {f["rule_id"] for f in d["findings"]} for d in docs)
    [entry] = rt.record.history("store-a", docs[0]["app"]["package"])
    assert entry["builds"] == 2
    events = callback_server.wait_for(2)
    assert sorted(e["data"]["build_id"] for e in events) == sorted(d["build_id"] for d in docs)
    assert all(len(d["callback_attempts"]) <= 1 for d in docs)


def test_the_record_down_answers_503_with_retry_after(settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from gate.web.app import create_app
    from tests.service.conftest import free_port

    down = replace(settings, database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test")
    client = create_app({f: getattr(down, f) for f in down.__dataclass_fields__}).test_client()
    for resp in (client.get("/api/v1/builds/b_000", headers={"authorization": "Bearer gt_x"}),
                 client.post("/webhooks/v1/store-a/builds", data=b"{}", headers={"content-type": "application/json"})):
        assert resp.status_code == 503, resp.get_data(as_text=True)
        assert resp.headers.get("Retry-After", "").isdigit() and "record" in resp.json["detail"]

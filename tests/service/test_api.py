"""The store API: Bearer tokens, tenant isolation, listing by package; health and readiness."""

from __future__ import annotations

import json

from tests.conftest import LISTINGS, fixture_apk
from tests.service.conftest import post_build

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


def test_tokens_are_required_and_stored_only_hashed(client, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    build_id = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
    assert client.get(f"/api/v1/builds/{build_id}").status_code == 401
    bad = client.get(f"/api/v1/builds/{build_id}", headers={"authorization": "Bearer gt_wrong"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")
    dump = json.dumps([t.__dict__ for t in rt.record.list_tenants()])
    assert tenant["token"] not in dump and rt.record.get_tenant(tenant["name"]).token_hash in dump
    assert not rt.store.r.keys(f"*{tenant['token']}*")


def test_a_tenant_never_sees_another_tenants_builds(client, rt, tenant, callback_server) -> None:  # type: ignore[no-untyped-def]
    build_id = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
    _, other_token = rt.record.add_tenant("store-b", callback_server.url)
    other = {"authorization": f"Bearer {other_token}"}
    assert client.get(f"/api/v1/builds/{build_id}", headers=other).status_code == 404
    assert client.post(f"/api/v1/builds/{build_id}/redeliver", headers=other).status_code == 404
    assert client.get("/api/v1/builds", headers=other).json == {"builds": []}
    own = {"authorization": f"Bearer {tenant['token']}"}
    queued = client.get(f"/api/v1/builds/{build_id}", headers=own)
    assert queued.status_code == 200 and queued.json["status"] == "queued" and "verdict" not in queued.json
    assert client.post(f"/api/v1/builds/{build_id}/redeliver", headers=own).status_code == 409


def test_builds_of_a_package_newest_first(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    ids = [post_build(client, tenant, fixture_apk(name), LISTING).json["build_id"]
           for name in ("clean", "clean-v2", "clean-v3", "debuggable")]
    workers.burst()
    own = {"authorization": f"Bearer {tenant['token']}"}
    listed = client.get("/api/v1/builds?package=cn.gate.fixture.clean", headers=own).json["builds"]
    assert [b["build_id"] for b in listed] == ids[2::-1]
    assert [b["app"]["version_code"] for b in listed] == [3, 2, 1]


def test_rotating_credentials_invalidates_the_old_ones(client, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    _, new_token = rt.record.rotate_tenant("store-a")
    assert client.get("/api/v1/builds", headers={"authorization": f"Bearer {tenant['token']}"}).status_code == 401
    assert client.get("/api/v1/builds", headers={"authorization": f"Bearer {new_token}"}).status_code == 200
    resp = post_build(client, tenant, fixture_apk("clean"), LISTING)  # signed with the old secret
    assert resp.status_code == 401


def test_health_and_readiness(client, workers) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json == {"status": "ok"}
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json["status"] == "no_workers"
    import time

    workers.start()
    deadline = time.monotonic() + 15
    while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.get("/readyz").json["workers"] >= 1


def test_the_verdict_page_needs_its_token(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/v/not-a-token").status_code == 404


def test_gate_status_shows_queues_workers_and_undecided_builds(client, rt, tenant, settings) -> None:  # type: ignore[no-untyped-def]
    import os

    from tests.conftest import run_gate

    post_build(client, tenant, fixture_apk("clean"), LISTING)
    env_backup = dict(os.environ)
    os.environ.update(settings.env())
    try:
        out = run_gate("status", "--format", "json")
        text = run_gate("status")
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["queues"]["analysis"]["waiting"] == 1 and doc["undecided_builds"] == 1
    assert "analysis" in text.stdout and "builds not decided yet: 1" in text.stdout

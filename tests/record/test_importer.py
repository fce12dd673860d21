"""An older Redis-only store (gate.record.store's keys) moves into the record once, with counts, nothing lost."""

from __future__ import annotations

import copy
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.record.build import Build
from gate.record.embedded import EmbeddedRedis
from gate.record.importer import import_redis
from gate.record.legacy_store import RedisOnlyStore as Store
from gate.record.legacy_store import StoreHistory
from gate.record.repository import Record
from tests.record.conftest import verdict

LISTING = {"category": "utility_tools", "developer": {"name": "Example Ltd", "id": "dev-1"}}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis of the module's own (the embedded redis-server): the shared 127.0.0.1:6379 database 15 is
    flushed by other suites' fixtures, which would empty the old store under this test."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield server.start()
    server.stop()


@pytest.fixture
def old_store(redis_url: str) -> Iterator[Store]:
    """A Redis store (gate.record.store, today's keys) under a prefix of its own."""
    prefix = f"gate-import-{secrets.token_hex(4)}:"
    store = Store.from_url(redis_url, prefix)
    yield store
    keys = list(store.r.scan_iter(match=prefix + "*"))
    if keys:
        store.r.delete(*keys)


def _build(store: Store, tenant: str, name: str, status: str = "done") -> str:
    build_id = "b_" + secrets.token_hex(12)
    store.create_build(Build(build_id=build_id, tenant=tenant, status="queued", received_at=1000.0,
                             verdict_token=secrets.token_urlsafe(32), listing=LISTING,
                             platform_build_id=f"p-{name}", apk_name=f"{name}.apk"))
    store.mark_running(build_id)
    assert store.finalize(build_id, status, verdict(name))
    return build_id


def test_a_redis_store_moves_into_the_record_once(old_store: Store, record: Record) -> None:
    a, token_a = old_store.add_tenant("store-a", "https://a.example/cb", ["cdn.a.example"], "cn-strict")
    old_store.update_tenant("store-a", policy_override={"outcomes": {"PKG-DEBUGGABLE": "warn"}})
    old_store.add_tenant("store-b", "https://b.example/cb")
    ids = [_build(old_store, "store-a", n) for n in ("clean", "clean-v2", "sdk-calls", "debuggable")]
    again = _build(old_store, "store-a", "clean")  # the same binary again: one more entry in the old history
    failed = _build(old_store, "store-b", "preconsent", status="failed")
    queued = "b_" + secrets.token_hex(12)
    old_store.create_build(Build(build_id=queued, tenant="store-b", status="queued", received_at=1.0,
                                 verdict_token=secrets.token_urlsafe(32)))
    old_store.record_delivery(ids[0], {"result": "retrying", "status_code": 503})
    old_store.record_delivery(ids[0], {"result": "delivered", "status_code": 200})
    cli_verdict = copy.deepcopy(verdict("sdk-calls"))
    old_store.append_history("store-a", "cn.gate.fixture.sdk_calls", "cli-0123456789abcdef", cli_verdict)
    old_store.delist("com.bad.app", "dev-9", "MIIT notice 2024-1")
    old_store.delist(None, "dev-8", "CAC notice 7")

    result = import_redis(old_store.r, record, old_store.p)
    assert result == {"imported": True, "tenants": 2, "builds": 7, "verdicts": 6, "skipped_builds": 0,
                      "findings": sum(len(verdict(n)["findings"])
                                      for n in ("clean", "clean-v2", "sdk-calls", "debuggable", "clean", "preconsent")),
                      "history": 5, "deliveries": 2, "delisted": 3}

    tenant = record.tenant_by_token(token_a)
    assert tenant is not None and tenant.name == "store-a" and tenant.secret == a.secret
    assert tenant.policy == "cn-strict" and tenant.policy_override == {"outcomes": {"PKG-DEBUGGABLE": "warn"}}
    assert tenant.allowed_hosts == ["cdn.a.example"]
    for build_id in [*ids, again, failed, queued]:
        old = old_store.get_build(build_id)
        new = record.get_build(build_id)
        assert old is not None and new is not None
        for key in ("tenant", "status", "received_at", "decided_at", "attempts", "verdict_token", "listing",
                    "platform_build_id", "apk_name"):
            assert new[key] == getattr(old, key), key
        assert new.get("verdict") == old.verdict
        assert new["review_status"] == ("not_required" if old.status in ("done", "failed") else None)
    assert record.deliveries(ids[0]) == old_store.deliveries(ids[0])
    assert record.delisted_entries() == old_store.delisted_entries()
    # history: the same binary twice is one version now; the CLI entry (no build, no sha256) is kept apart
    clean = record.history("store-a", "cn.gate.fixture.clean")
    assert [(h["version_code"], h["builds"]) for h in clean] == [(1, 2), (2, 1)]
    assert len(StoreHistory(old_store, "store-a").versions("cn.gate.fixture.clean")) == 3
    sdk = record.history("store-a", "cn.gate.fixture.sdk_calls")
    assert len(sdk) == 2 and sdk[1]["sha256"] == "unknown:cli-0123456789abcdef"
    assert sdk[0]["findings"] == old_store.history("store-a", "cn.gate.fixture.sdk_calls")[0]["findings"]
    assert record.builds_for_package("store-a", "cn.gate.fixture.clean")[0]["build_id"] in (ids[0], again)
    assert [r["build_id"] for r in record.review_queue("store-a", status="not_required")] != []

    assert import_redis(old_store.r, record, old_store.p) == {"imported": False,
                                                               "reason": "the Redis store was imported before"}
    assert record.audit_log(subject_kind="record")[0]["data"]["builds"] == 7


def test_gate_migrate_imports_the_redis_store_once(old_store: Store, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    _, token = old_store.add_tenant("store-a", "https://a.example/cb")
    build_id = _build(old_store, "store-a", "sdk-calls")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "GATE_DATA_DIR": str(tmp_path / "var"), "REDIS_URL": str(old_store.url), "GATE_KEY_PREFIX": old_store.p}

    def migrate() -> dict:  # type: ignore[type-arg]
        done = subprocess.run([sys.executable, "-m", "gate.cli", "migrate"], capture_output=True, text=True,
                              cwd=ROOT, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert isinstance(out, dict)
        return out

    first = migrate()
    assert first["redis_import"]["imported"] is True and first["redis_import"]["builds"] == 1
    assert migrate()["redis_import"] == {"imported": False, "reason": "the Redis store was imported before"}
    record = Record.from_url(f"sqlite:///{tmp_path / 'var' / 'gate.db'}")
    assert record.tenant_by_token(token) is not None
    assert record.get_build(build_id)["verdict"] == verdict("sdk-calls")  # type: ignore[index]
    record.engine.dispose()

"""The decisions report (API and CLI) and retention (command and reaper), on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from gate.record.repository import Record, new_build_id
from gate.service.runtime import Runtime
from gate.service.settings import Settings
from tests.conftest import ROOT
from tests.record.conftest import verdict

DAY = 86400
LISTING = {"category": "utility_tools", "developer": {"name": "Example Ltd", "id": "dev-1"}, "app_name": "x"}


def _decided(record: Record, tenant: str, fixture: str, at: float) -> str:
    build_id = new_build_id()
    record.create_build({"build_id": build_id, "tenant": tenant, "status": "queued", "received_at": at - 5,
                         "verdict_token": "vt_" + build_id, "apk_name": "app.apk", "listing": LISTING,
                         "platform_build_id": "p-" + fixture})
    assert record.finalize(build_id, "done", verdict(fixture), now=at)
    return build_id


def _gate(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **settings.env(), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gate.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def _day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def test_the_decisions_report_by_api_and_cli(db_settings: Settings, runtimes: list[Runtime]) -> None:
    from gate.web.app import create_app

    rt = Runtime(db_settings)
    runtimes.append(rt)
    record = rt.record
    _, token = record.add_tenant("store-a", "http://127.0.0.1:9/cb")
    record.add_tenant("store-b", "http://127.0.0.1:9/cb")
    now = time.time()
    warned = _decided(record, "store-a", "sdk-calls", now - 60)
    blocked = _decided(record, "store-a", "debuggable", now - 30)
    _decided(record, "store-a", "clean", now - 10 * DAY)  # outside the period
    other = _decided(record, "store-b", "clean", now - 20)
    record.decide(warned, "reject", "SDK 未在隐私政策中披露", "alice", now=now - 10)

    app = create_app({f: getattr(db_settings, f) for f in db_settings.__dataclass_fields__})
    runtimes.append(app.extensions["gate"])
    client = app.test_client()
    auth = {"authorization": f"Bearer {token}"}
    period = f"from={_day(now - DAY)}&to={_day(now)}"
    jsonl = client.get(f"/api/v1/reports/decisions?{period}&format=jsonl", headers=auth)
    assert jsonl.status_code == 200 and jsonl.mimetype == "application/jsonl"
    rows = [json.loads(line) for line in jsonl.get_data(as_text=True).splitlines()]
    assert [r["build_id"] for r in rows] == [warned, blocked]  # oldest first; store-b's and older ones left out
    by_id = {r["build_id"]: r for r in rows}
    assert by_id[warned]["decision"] == "reject" and by_id[warned]["reviewer"] == "alice"
    assert by_id[warned]["reason"] == "SDK 未在隐私政策中披露" and by_id[warned]["reviewed_at"].endswith("Z")
    assert by_id[warned]["review_status"] == "rejected" and by_id[warned]["verdict"] == "warn"
    assert "PI-SDK-UNDISCLOSED" in by_id[warned]["rules"]
    assert by_id[blocked]["rules"] == ["PKG-DEBUGGABLE"] and by_id[blocked]["decision"] is None
    assert by_id[blocked]["platform_build_id"] == "p-debuggable"

    as_csv = client.get(f"/api/v1/reports/decisions?{period}&format=csv", headers=auth)
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert [r["build_id"] for r in table] == [warned, blocked]
    assert table[0]["rules"].split(";") == by_id[warned]["rules"] and table[1]["decision"] == ""

    assert client.get(f"/api/v1/reports/decisions?{period}").status_code == 401
    bad = client.get("/api/v1/reports/decisions?from=yesterday&to=2026-01-01", headers=auth)
    assert bad.status_code == 400 and "from" in bad.json["detail"]
    assert client.get(f"/api/v1/reports/decisions?{period}&format=xml", headers=auth).status_code == 400
    empty = client.get(f"/api/v1/reports/decisions?from={_day(now)}&to={_day(now - DAY)}", headers=auth)
    assert empty.status_code == 400

    # the CLI sees every store (or one with --tenant), in the same shape
    out = _gate(db_settings, "report", "decisions", "--from", _day(now - DAY), "--to", _day(now), "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    assert sorted(json.loads(x)["build_id"] for x in out.stdout.splitlines()) == sorted([warned, blocked, other])
    one = _gate(db_settings, "report", "decisions", "--from", _day(now - DAY), "--to", _day(now), "--tenant",
                "store-a")
    assert one.returncode == 0, one.stderr
    assert one.stdout == as_csv.get_data(as_text=True)
    refused = _gate(db_settings, "report", "decisions", "--from", "2026-13-01", "--to", _day(now))
    assert refused.returncode == 3 and "from is not a date" in refused.stderr


def test_retention_archives_old_builds_then_deletes_them(db_settings: Settings, runtimes: list[Runtime]) -> None:
    from gate.web.app import create_app

    rt = Runtime(db_settings)
    runtimes.append(rt)
    record = rt.record
    _, token = record.add_tenant("store-a", "http://127.0.0.1:9/cb")
    now = time.time()
    old = [_decided(record, "store-a", name, now - 40 * DAY) for name in ("sdk-calls", "clean")]
    record.record_delivery(old[0], {"result": "delivered", "status_code": 204})
    recent = _decided(record, "store-a", "debuggable", now - 60)

    assert _gate(db_settings, "retention").returncode == 3  # no period set: refused, nothing archived
    done = _gate(db_settings, "retention", "--days", "30")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["builds"] == 2 and Path(result["file"]).parent == db_settings.archive_dir
    archived = [json.loads(line) for line in Path(result["file"]).read_text(encoding="utf-8").splitlines()]
    assert sorted(a["build"]["build_id"] for a in archived) == sorted(old)
    first = next(a for a in archived if a["build"]["build_id"] == old[0])
    assert first["build"]["verdict"]["verdict"] == "warn" and first["deliveries"][0]["attempt"]["status_code"] == 204
    app = create_app({f: getattr(db_settings, f) for f in db_settings.__dataclass_fields__})
    runtimes.append(app.extensions["gate"])
    client = app.test_client()
    auth = {"authorization": f"Bearer {token}"}
    assert all(client.get(f"/api/v1/builds/{b}", headers=auth).status_code == 404 for b in old)
    assert client.get(f"/api/v1/builds/{recent}", headers=auth).status_code == 200
    assert record.history("store-a", verdict("clean")["app"]["package"]), "history stays"


def test_the_reaper_applies_retention_once_a_day(db_settings: Settings, runtimes: list[Runtime]) -> None:
    from workers.reaper import reap

    rt = Runtime(replace(db_settings, retention_days=30))
    runtimes.append(rt)
    rt.record.add_tenant("store-a", "http://127.0.0.1:9/cb")
    now = time.time()
    old = _decided(rt.record, "store-a", "clean", now - 31 * DAY)
    kept = _decided(rt.record, "store-a", "clean", now - 29 * DAY)
    for b in (old, kept):  # their callbacks went out long ago
        rt.record.record_delivery(b, {"result": "delivered"})
    actions: list[tuple[str, Any]] = reap(rt, now=now)
    assert [a[0] for a in actions] == ["retention"] and "archived 1 build(s)" in actions[0][1]
    assert rt.record.get_build(old) is None and rt.record.get_build(kept) is not None
    assert reap(rt, now=now + 2 * DAY) == []  # not again the same day, even with a build now past the period
    assert rt.record.get_build(kept) is not None

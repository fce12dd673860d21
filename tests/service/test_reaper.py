"""A worker killed mid-job leaves no build stuck: the reaper retries once, then answers the store."""

from __future__ import annotations

import json
import os
import time
import zipfile

from tests.conftest import LISTINGS, fixture_apk
from tests.service.conftest import post_build, wait_status
from workers.reaper import reap

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


def _slow_apk(tmp_path):  # type: ignore[no-untyped-def]
    """The clean fixture plus 120 MB of stored random bytes: hashing it keeps a job busy long enough to kill."""
    path = tmp_path / "slow.apk"
    with zipfile.ZipFile(fixture_apk("clean")) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        with dst.open(zipfile.ZipInfo("assets/blob.bin"), "w", force_zip64=True) as out:
            for _ in range(120):
                out.write(os.urandom(1 << 20))
    return path


def _kill_while_running(rt, workers, build_id: str) -> None:  # type: ignore[no-untyped-def]
    proc = workers.start()
    wait_status(rt, build_id, ("running",), timeout_s=30, poll_s=0.005)
    workers.kill(proc)


def test_a_killed_worker_is_retried_then_answered(client, rt, tenant, workers, callback_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    apk = _slow_apk(tmp_path)
    build_id = post_build(client, tenant, apk, LISTING).json["build_id"]

    _kill_while_running(rt, workers, build_id)
    assert rt.build(build_id).status == "running"
    assert reap(rt) == []  # the worker only just went silent: not yet
    assert reap(rt, now=time.time() + 60) == [(build_id, "retried")]
    assert rt.build(build_id).status == "queued"

    _kill_while_running(rt, workers, build_id)  # the second attempt dies too
    assert reap(rt, now=time.time() + 60) == [(build_id, "failed")]
    build = rt.build(build_id)
    assert build.status == "failed" and build.attempts == 2
    rules = [f["rule_id"] for f in build.verdict["findings"]]
    assert rules == ["GATE-CHECK-FAILED"]
    assert "silent" in build.verdict["findings"][0]["message"]

    workers.burst()  # delivers the callback
    [event] = callback_server.wait_for(1)
    assert event["data"]["status"] == "failed" and event["data"]["build_id"] == build_id
    assert reap(rt, now=time.time() + 600) == []  # nothing left to reap


def test_a_retried_build_completes_normally(client, rt, tenant, workers, callback_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    apk = _slow_apk(tmp_path)
    build_id = post_build(client, tenant, apk, LISTING).json["build_id"]
    _kill_while_running(rt, workers, build_id)
    assert reap(rt, now=time.time() + 60) == [(build_id, "retried")]
    workers.burst(timeout_s=120)
    build = wait_status(rt, build_id, ("done",), timeout_s=60)
    assert build.attempts == 2 and build.verdict["app"]["package"] == "cn.gate.fixture.clean"
    callback_server.wait_for(1)

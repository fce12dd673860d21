"""Faults: Redis killed and restarted with accepted builds in flight loses none of them."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

from gate.record.build import Build
from gate.record.embedded import EmbeddedRedis
from gate.service.runtime import Runtime
from gate.service.settings import Settings
from tests.conftest import LISTINGS, corpus_file, fixture_apk
from tests.service.conftest import CallbackServer, Workers, post_build, wait_status

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


def test_redis_killed_after_accepting_builds_loses_none(tmp_path: Path) -> None:
    data = Path("/tmp") / f"gate-fault-{os.getpid()}"  # short path: the Redis socket lives under it
    server = EmbeddedRedis(data)
    url = server.start()
    callbacks = CallbackServer().start()
    try:
        settings = Settings(redis_url=url, data_dir=tmp_path / "var", public_url="http://gate.test",
                            callback_retry_intervals_s=(1, 1, 2), job_heartbeat_s=1)
        from gate.web.app import create_app

        app = create_app({f: getattr(settings, f) for f in settings.__dataclass_fields__})
        rt = Runtime(settings)
        t, token = rt.record.add_tenant("store-f", callbacks.url)
        tenant = {"name": t.name, "secret": t.secret, "token": token}
        client = app.test_client()
        accepted = [post_build(client, tenant, fixture_apk(name), LISTING).json["build_id"]
                    for name in ("clean", "debuggable", "self-start", "bg-location", "sdk-calls")]

        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGKILL)  # a crash, no shutdown, no final save
        server.proc.wait()
        url_again = server.start()
        assert url_again == url

        fresh = Runtime(settings)
        assert fresh.store.r.ping()
        assert [fresh.build(b).status for b in accepted] == ["queued"] * 5
        Workers(settings).burst()
        verdicts = [wait_status(fresh, b, ("done",)).verdict["verdict"] for b in accepted]
        assert verdicts == ["pass", "block", "warn", "warn", "warn"]
        callbacks.wait_for(5)
    finally:
        callbacks.stop()
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


def test_an_analysis_over_the_memory_cap_fails_only_its_checks_and_the_worker_keeps_serving(
        client, rt, settings, tenant) -> None:  # type: ignore[no-untyped-def]
    """The 49 MB, 63-dex app needs about 480 MiB of address space; capped at 384 MiB its heavy checks run out of
    memory and fail by name, while a small app analysed by the same worker before and after it is untouched."""
    from dataclasses import replace

    fat = corpus_file("large/fat-multidex.apk")
    capped = Workers(replace(settings, job_memory_bytes=384 << 20))
    worker = capped.start()
    try:
        before = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
        big = post_build(client, tenant, fat, LISTING).json["build_id"]
        after = post_build(client, tenant, fixture_apk("clean"), LISTING).json["build_id"]
        for build_id in (before, after):
            build = wait_status(rt, build_id, ("done", "failed"), timeout_s=120)
            assert build.status == "done"
            assert "GATE-CHECK-FAILED" not in {f["rule_id"] for f in build.verdict["findings"]}
        build = _answered_with_reaper(rt, big)
        failed = [f for f in build.verdict["findings"] if f["rule_id"] == "GATE-CHECK-FAILED"]
        messages = "\n".join(f["message"] for f in failed)
        if "work horse died" in messages:
            # rarely, a C library short of memory aborts the work horse itself (twice, with RQ's retry):
            # the reaper answers the build, as it does for any horse killed mid-job
            assert "work horse died" in messages, messages
        else:
            # most say so; a C extension short of memory may surface it as another error (numpy: SystemError),
            # which still fails only that check, by name
            assert any("ran out of memory" in f["message"] for f in failed), messages
        assert build.verdict["verdict"] != "pass"
        # the intake itself is not blamed on the APK: no "cannot be decompressed" for lack of memory
        assert not any("MemoryError" in f["message"] for f in build.verdict["findings"])
        assert worker.poll() is None  # the worker itself is still running
    finally:
        capped.stop_all()


def _answered_with_reaper(rt: Runtime, build_id: str, timeout_s: float = 120) -> Build:
    """Wait for a final status, running the real reaper's pass as `gate serve` does every few seconds."""
    import time

    from workers.reaper import reap

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        build = rt.build(build_id)
        if build and build.status in ("done", "failed"):
            return build
        reap(rt)
        time.sleep(0.5)
    raise AssertionError(f"build {build_id} was never answered: {rt.build(build_id)}")

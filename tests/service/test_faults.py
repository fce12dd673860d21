"""Faults: Redis killed and restarted with accepted builds in flight loses none of them."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

from gate.embedded import EmbeddedRedis
from gate.service import Runtime
from gate.settings import Settings
from tests.conftest import LISTINGS, fixture_apk
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
        from gate.app import create_app

        app = create_app({f: getattr(settings, f) for f in settings.__dataclass_fields__})
        rt = Runtime(settings)
        t, token = rt.store.add_tenant("store-f", callbacks.url)
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
        assert [fresh.store.get_build(b)["status"] for b in accepted] == ["queued"] * 5
        Workers(settings).burst()
        verdicts = [wait_status(fresh, b, ("done",))["verdict"]["verdict"] for b in accepted]
        assert verdicts == ["pass", "block", "warn", "warn", "warn"]
        callbacks.wait_for(5)
    finally:
        callbacks.stop()
        server.stop()
        shutil.rmtree(data, ignore_errors=True)

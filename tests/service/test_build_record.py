"""The build record: typed fields, saved in the record and read back unchanged."""

from __future__ import annotations

import pytest

from gate.record.build import Build
from gate.service.runtime import Runtime


def _build(**fields: object) -> Build:
    base: dict[str, object] = {"build_id": "b_1", "tenant": "store-a", "status": "queued",
                               "verdict_token": "tok", "received_at": 1_700_000_000.5}
    return Build(**(base | fields))  # type: ignore[arg-type]


def test_a_build_reads_back_as_it_was_stored(rt: Runtime) -> None:
    rt.record.add_tenant("store-a", "http://127.0.0.1:9/cb")
    full = _build(platform_build_id="p-1", listing={"app_name": "示例", "developer": {"name": "x"}},
                  apk_name="a.apk", apk_path="/tmp/a.apk", apk_sha256="0" * 64, apk_size=123,
                  artifact={"url": "http://h/a.apk", "sha256": "0" * 64, "size": 123})
    rt.record.create_build(full.to_row())
    assert rt.build("b_1") == full
    bare = _build(build_id="b_2", verdict_token="tok2")  # every optional field empty: None again, not ""
    rt.record.create_build(bare.to_row())
    assert rt.build("b_2") == bare


def test_updates_are_typed_and_refuse_unknown_fields(rt: Runtime) -> None:
    rt.record.add_tenant("store-a", "http://127.0.0.1:9/cb")
    rt.record.create_build(_build().to_row())
    rt.update_build("b_1", status="running", attempts=2, started_at=1_700_000_001.25, job_id="j")
    build = rt.build("b_1")
    assert build is not None
    assert (build.status, build.attempts, build.started_at, build.job_id) == ("running", 2, 1_700_000_001.25, "j")
    with pytest.raises(ValueError, match="not fields of a build"):
        rt.update_build("b_1", stauts="done")


def test_a_build_has_a_known_status() -> None:
    with pytest.raises(ValueError, match="unknown build status"):
        _build(status="lost")

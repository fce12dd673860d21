"""The signature child (BuildContext.prefetch): same answers as in process, a clean parent afterwards, and
a scan that still completes when no child can be started."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.cli import main as cli
from gate.core import policy as policy_mod
from gate.core.context import BuildContext
from gate.core.scan import scan, scan_context
from tests.conftest import ROOT, corpus_file, fixture_apk

POLICY = policy_mod.load("cn-default")


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """prefetch never forks a process that runs other threads; earlier tests' threads must be gone."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(timeout=5)
    assert threading.active_count() == 1, f"threads left by earlier tests: {threading.enumerate()}"
    yield


def _children() -> set[int]:
    """Process ids of this process's children, zombies included (Linux)."""
    out: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            out.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return out


def _background_and_here(path: Path) -> tuple[BuildContext, BuildContext]:
    background = BuildContext(path, None, POLICY.limits)
    background.prefetch()
    assert background.apk.prefetching, "prefetch did not start its child"
    here = BuildContext(path, None, POLICY.limits)
    return background, here


@pytest.mark.parametrize("name", ["clean", "clean-v2", "clean-v3", "tampered-v1", "tampered-v2", "unsigned"])
def test_child_answers_as_the_process_would(name: str) -> None:
    background, here = _background_and_here(fixture_apk(name))
    assert background.signature == here.signature
    assert background.sha256 == here.sha256
    assert background.apk.prefetched("signature") is not None, "the answer did not come from the child"


def test_child_answers_for_a_v1_only_corpus_app() -> None:
    background, here = _background_and_here(corpus_file("apks/zjjiagu-diy-packed-signed.apk"))
    assert background.signature == here.signature
    assert [s.scheme for s in background.signature.schemes] == ["v1"]
    assert background.signature.schemes[0].verified


def test_no_child_over_the_limits_or_for_a_non_zip(tmp_path: Path) -> None:
    junk = tmp_path / "junk.apk"
    junk.write_bytes(os.urandom(4096))
    ctx = BuildContext(junk, None, POLICY.limits)
    ctx.prefetch()
    assert not ctx.apk.prefetching
    tight = BuildContext(fixture_apk("clean"), None, policy_mod.load("cn-default").limits)
    tight.limits = type(tight.limits)(**{**tight.limits.__dict__, "max_apk_bytes": 100})
    tight.prefetch()
    assert not tight.apk.prefetching


def test_the_parent_collects_garbage_as_before() -> None:
    assert gc.get_freeze_count() == 0
    ctx = BuildContext(fixture_apk("clean"), None, POLICY.limits)
    ctx.prefetch()
    assert gc.get_freeze_count() > 0, "the parent's objects should stay frozen while the child shares them"
    ctx.close()
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
    scan(fixture_apk("clean"), POLICY, None)
    assert gc.get_freeze_count() == 0


def test_someone_elses_freeze_is_left_alone() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        scan(fixture_apk("clean"), POLICY, None)
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


def test_no_child_is_left_behind() -> None:
    before = _children()
    verdict = scan(fixture_apk("clean"), POLICY, None)
    assert verdict.app.certificates
    ctx = BuildContext(fixture_apk("clean"), None, POLICY.limits)
    ctx.prefetch()
    scan_context(ctx, POLICY)  # closes the context, which reaps the child
    assert _children() <= before


def test_cli_usage_error_after_the_fork_reaps_the_child(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _children()
    code = cli.main(["scan", str(fixture_apk("clean")), "--listing", str(tmp_path / "missing.json")])
    assert code == cli.EXIT_USAGE
    assert "missing.json" in capsys.readouterr().err
    assert _children() <= before


def test_an_interrupted_wait_leaves_no_child_and_nothing_frozen() -> None:
    """A check's deadline (SIGALRM) can fire while the parent waits for the child: the child is killed and
    reaped, the garbage collector's objects unfrozen."""
    path = corpus_file("large/fat-multidex.apk")  # its signatures take the child well over 20 ms
    before = _children()

    class Deadline(Exception):
        pass

    def expire(signum: int, frame: object) -> None:
        raise Deadline

    ctx = BuildContext(path, None, POLICY.limits)
    ctx.prefetch()
    assert ctx.apk.prefetching
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, 0.02)
    try:
        with pytest.raises(Deadline):
            ctx.apk.prefetched("signature")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert gc.get_freeze_count() == 0
    assert _children() <= before
    assert ctx.signature.schemes  # asked again, the work is done in process


_NO_DESCRIPTORS = """
import json, os, resource, sys
from gate.core import policy
from gate.core.context import BuildContext
from gate.core.scan import scan_context
ctx = BuildContext(sys.argv[1], None, policy.load("cn-default").limits)
ctx.limit_violations()                      # opens the archive: one descriptor held from here on
import checks, gate.apk.apksig, gate.apk.dex, gate.apk.axml
checks.discover()
used = len(os.listdir("/proc/self/fd")) - 1  # listdir's own descriptor is closed again
resource.setrlimit(resource.RLIMIT_NOFILE, (used + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
try:
    os.pipe()
except OSError:
    pass
else:
    sys.exit("a pipe could still be made; the test would prove nothing")
verdict = scan_context(ctx, policy.load("cn-default"))
print(json.dumps({"child": ctx.apk.prefetching, "verdict": verdict.to_dict()}))
"""


def test_scan_completes_when_no_child_can_be_started() -> None:
    """With one file descriptor left, the pipe cannot be made: the work happens in process instead."""
    path = fixture_apk("clean")
    proc = subprocess.run([sys.executable, "-c", _NO_DESCRIPTORS, str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    expected = scan(path, POLICY, None).to_dict()
    assert out["child"] is False
    got = out["verdict"]
    assert got["app"] == expected["app"]
    assert got["app"]["certificates"], "the signature was not verified in process"
    assert [f["rule_id"] for f in got["findings"]] == [f["rule_id"] for f in expected["findings"]]

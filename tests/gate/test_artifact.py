"""gate.service.artifact.fetch against real local HTTP servers: internal addresses behind host names, DNS rebinding,
and servers that answer too slowly or trickle their body."""

from __future__ import annotations

import hashlib
import http.server
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.service.artifact import ArtifactError, fetch
from tests.conftest import fixture_apk

APK = fixture_apk("clean").read_bytes()
SHA = hashlib.sha256(APK).hexdigest()


class _Server:
    """A real HTTP server on loopback; ``mode`` picks how it answers GET."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if outer.mode == "silent":  # accepts the request, never answers (until the test is over)
                    outer.stopped.wait(30)
                    return
                self.send_response(200)
                self.send_header("content-length", str(len(APK)))
                self.end_headers()
                if outer.mode == "trickle":  # a steady byte every 50 ms: no single read ever times out
                    try:
                        for b in APK:
                            if outer.stopped.is_set():
                                return
                            self.wfile.write(bytes([b]))
                            self.wfile.flush()
                            time.sleep(0.05)
                    except OSError:
                        pass
                    return
                self.wfile.write(APK)

            def log_message(self, *a: object) -> None:
                pass

        self.stopped = threading.Event()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.stopped.set()  # no request thread outlives the test (a forking test after it needs one thread)
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def server(request: pytest.FixtureRequest) -> Iterator[_Server]:
    s = _Server(getattr(request, "param", "normal"))
    yield s
    s.close()


def _internal_name() -> str:
    """A host name (not an address) this machine resolves to loopback or a private address, e.g. its own."""
    name = socket.gethostname()
    try:
        addrs = {ipaddress.ip_address(i[4][0]) for i in socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)}
    except OSError:
        pytest.skip(f"this machine's host name {name!r} does not resolve")
    if not any(a.is_loopback or a.is_private for a in addrs):
        pytest.skip(f"this machine's host name {name!r} resolves to public addresses only")
    return name


def test_a_literal_allowed_address_downloads(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "a.apk"
    n = fetch(f"http://127.0.0.1:{server.port}/a.apk", dest, allowed=["127.0.0.1"], sha256=SHA, size=len(APK),
              max_bytes=10 << 20, timeout_s=10)
    assert n == len(APK) and dest.read_bytes() == APK


def test_a_host_name_resolving_to_an_internal_address_is_refused(server: _Server, tmp_path: Path) -> None:
    name = _internal_name()
    dest = tmp_path / "a.apk"
    with pytest.raises(ArtifactError, match="resolves to the internal address"):
        fetch(f"http://{name}:{server.port}/a.apk", dest, allowed=[name], sha256=SHA, size=len(APK),
              max_bytes=10 << 20, timeout_s=10)
    assert not dest.exists() and not dest.with_suffix(".part").exists()


def test_dns_rebinding_is_caught_at_the_connected_address(server: _Server, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The first answer (the gate's check) is public, the second (the connection's) internal."""
    name = _internal_name()
    real = socket.getaddrinfo
    calls: list[str] = []

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(host))
        if host == name and len(calls) == 1:
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("93.184.216.34", server.port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    dest = tmp_path / "a.apk"
    with pytest.raises(ArtifactError, match="connected to the internal address"):
        fetch(f"http://{name}:{server.port}/a.apk", dest, allowed=[name], sha256=SHA, size=len(APK),
              max_bytes=10 << 20, timeout_s=10)
    assert len(calls) >= 2  # the gate's check and the connection both resolved the name
    assert not dest.exists()


@pytest.mark.parametrize("server", ["trickle", "silent"], indirect=True)
def test_a_slow_server_is_cut_off_at_the_deadline(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "a.apk"
    started = time.monotonic()
    with pytest.raises(ArtifactError, match="longer than 1.5 s") as err:
        fetch(f"http://127.0.0.1:{server.port}/a.apk", dest, allowed=["127.0.0.1"], sha256=SHA, size=len(APK),
              max_bytes=10 << 20, timeout_s=1.5)
    elapsed = time.monotonic() - started
    assert err.value.permanent is False  # a slow network may recover: the job retries with backoff
    # the trickle would take len(APK) * 50 ms (minutes); the deadline stopped it, not the server
    assert elapsed < len(APK) * 0.05 / 10
    assert not dest.exists() and not dest.with_suffix(".part").exists()


def test_the_deadline_is_told_by_the_clock_before_its_timer_has_run() -> None:
    """On a loaded host a read timeout of the same length can wake before the deadline's timer thread: the
    download's error must still be named as the deadline's (it was 'cannot download the artifact: ReadTimeout')."""
    from gate.service.deadline import SocketDeadline

    deadline = SocketDeadline(0.05)
    deadline.cancel()  # the timer never runs: only the clock can tell
    assert not deadline.expired
    time.sleep(0.1)
    assert deadline.expired

"""Slow-body clients against the real web process (gunicorn, gthread, as `gate serve` runs it): senders that
trickle a webhook body are cut off with 408 when the body's time is up, store nothing, and do not keep an
honest store's webhook from being answered."""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.conftest import LISTINGS, fixture_apk
from tests.service.conftest import free_port, multipart, signed, start_gunicorn

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))
THREADS = 2


def _slow_sender(port: int, tenant: dict[str, str], body: bytes, ctype: str) -> socket.socket:
    """Sends a correctly signed request's headers and the first bytes of its body, then stalls."""
    head = {**signed(tenant["secret"], body), "content-type": ctype, "content-length": str(len(body)),
            "host": f"127.0.0.1:{port}"}
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    request = f"POST /webhooks/v1/{tenant['name']}/builds HTTP/1.1\r\n" + \
        "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n"
    sock.sendall(request.encode() + body[:100])
    return sock


def test_trickling_senders_get_408_and_do_not_block_an_honest_store(settings, rt, tenant) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    web = start_gunicorn(settings, port, {"GATE_BODY_TIMEOUT_S": "2"}, threads=THREADS)
    slow: list[socket.socket] = []
    try:
        body, ctype = multipart(fixture_apk("clean"), {"build": {"id": "slow"}, "listing": LISTING})
        # more stalled senders than the web process has threads
        slow = [_slow_sender(port, tenant, body, ctype) for _ in range(THREADS * 2)]
        # an honest store posts while the slow senders hold every thread: it waits at most for their deadline
        honest, honest_type = multipart(fixture_apk("clean"), {"build": {"id": "honest"}, "listing": LISTING})
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(requests.post, f"http://127.0.0.1:{port}/webhooks/v1/{tenant['name']}/builds",
                                  data=honest, headers={**signed(tenant["secret"], honest),
                                                        "content-type": honest_type}, timeout=60)
            answers = _trickle(slow, body)
            resp = pending.result()
        assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), answers
        assert b"took longer than 2 s" in answers[0]
        assert resp.status_code == 202, resp.text
        # nothing of the slow senders was stored or queued; only the honest build exists
        builds = rt.record.recent_builds(tenant["name"], 100)
        assert [b["build_id"] for b in builds] == [resp.json()["build_id"]]
        assert not list((Path(settings.data_dir) / "incoming").glob("*.body"))
    finally:
        for sock in slow:
            sock.close()
        web.terminate()
        web.wait(timeout=30)
        if web.stderr:
            web.stderr.close()


def _trickle(slow: list[socket.socket], body: bytes) -> list[bytes]:
    """Keep every sender trickling until each is answered or dropped; returns what each received."""
    for sock in slow:  # keep trickling: one byte a quarter-second, which no per-read timeout would stop
        sock.settimeout(0.05)
    answers: list[bytes] = [b""] * len(slow)
    sent = 100
    started = time.monotonic()
    while time.monotonic() - started < 20 and not all(b" 408 " in a or a == b"closed" for a in answers):
        for i, sock in enumerate(slow):
            if answers[i] == b"closed":
                continue
            try:
                sock.sendall(body[sent:sent + 1])
                chunk = sock.recv(4096)
                answers[i] = answers[i] + chunk if chunk else (answers[i] or b"closed")
            except TimeoutError:
                pass
            except OSError:
                answers[i] = answers[i] or b"closed"
        sent += 1
        time.sleep(0.25)
    return answers


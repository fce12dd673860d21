"""Load test: thousands of signed webhooks to a real `gate serve` (2 workers, embedded Redis), loopback only.

    python bench/load.py [--builds 5000] [--clients 8] [--corpus-share 0.1] [--kill-web-at N]
                         [--out bench/results/load.json]

Submits --builds signed multipart webhooks from --clients threads, mixing the fixture APKs with corpus APKs
(--corpus-share of them), to `gate serve` with 2 workers; a local HTTP server is the store's callback
endpoint. Every build must reach a verdict and a delivered callback. Reports throughput and p50/p95/p99 of
the webhook answer time and of accepted-to-callback time. With --kill-web-at N the web process is killed
(SIGKILL) after N submissions; `gate serve` restarts it and clients retry failed posts with the same
webhook-id, as a store's pipeline does: no build may be lost or analysed twice. Bounded: --builds posts,
--timeout seconds overall.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Callbacks, GateServe, pct, sign, upload  # noqa: E402

FIXTURES = sorted(p for p in (ROOT / "tests" / "fixtures" / "apks").glob("*.apk"))
CORPUS = sorted((ROOT.parent / "shared" / "corpus" / "apks").glob("*.apk"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--corpus-share", type=float, default=0.1)
    parser.add_argument("--kill-web-at", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(7)
    bodies: dict[Path, bytes] = {p: p.read_bytes() for p in FIXTURES + CORPUS}

    recorder = Callbacks()
    callbacks, seen_twice, lock = recorder.arrivals, recorder.seen_twice, recorder.lock
    gate = GateServe(2, prefix="gate-load-", extra_env={"GATE_RATE_LIMIT_PER_MINUTE": "0"})
    serve, base = gate.proc, gate.base
    accepted: dict[str, float] = {}
    answer_ms: list[float] = []
    retries = 0
    errors: list[str] = []
    started = time.monotonic()
    try:
        gate.wait_ready()
        creds = gate.add_tenant("load", recorder.url)
        plan = [rng.choice(CORPUS) if CORPUS and rng.random() < args.corpus_share else rng.choice(FIXTURES)
                for _ in range(args.builds)]
        counter = iter(range(args.builds))
        killed = threading.Event()

        def client() -> None:
            nonlocal retries
            session = requests.Session()
            while True:
                with lock:
                    i = next(counter, None)
                if i is None or time.monotonic() - started > args.timeout:
                    return
                if args.kill_web_at and i == args.kill_web_at and not killed.is_set():
                    killed.set()
                    kill_web(serve.pid)
                apk = plan[i]
                prepared, body = upload(base, "load", f"load-{i}", apk.name, bodies[apk])
                msg_id = f"load-{i}"
                for attempt in range(30):
                    sign(prepared, body, creds["webhook_secret"], msg_id)
                    t0 = time.monotonic()
                    try:
                        resp = session.send(prepared, timeout=60)
                    except requests.RequestException:
                        resp = None
                    if resp is not None and resp.status_code == 202:
                        with lock:
                            answer_ms.append((time.monotonic() - t0) * 1000)
                            accepted.setdefault(resp.json()["build_id"], time.monotonic())
                        break
                    with lock:
                        retries += 1
                    time.sleep(min(2.0, 0.1 * (attempt + 1)))  # the store retries with the same webhook-id
                else:
                    with lock:
                        errors.append(f"build {i} never accepted")

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        submitted_at = time.monotonic()
        while time.monotonic() - started < args.timeout:
            with lock:
                if all(b in callbacks for b in accepted):
                    break
            time.sleep(0.2)
        finished_at = time.monotonic()
    finally:
        gate.stop()
        recorder.close()
    delivered = [callbacks[b] - accepted[b] for b in accepted if b in callbacks]
    report = {
        "builds": args.builds, "accepted": len(accepted), "callbacks": len(delivered),
        "lost": len(accepted) - len(delivered), "duplicate_callbacks": len(seen_twice), "client_retries": retries,
        "errors": errors[:10], "web_killed": bool(args.kill_web_at),
        "submit_s": round(submitted_at - started, 1), "total_s": round(finished_at - started, 1),
        "throughput_per_s": round(len(delivered) / max(finished_at - started, 1e-9), 1),
        "answer_ms": {p: round(pct(answer_ms, p), 1) for p in (50, 95, 99)},
        "accepted_to_callback_ms": {p: round(pct([d * 1000 for d in delivered], p), 1) for p in (50, 95, 99)},
    }
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    ok = report["lost"] == 0 and not errors and len(accepted) == args.builds
    return 0 if ok else 1


def kill_web(serve_pid: int) -> None:
    """SIGKILL the gunicorn master that `gate serve` started (it restarts it)."""
    import psutil

    for child in psutil.Process(serve_pid).children():
        if "gunicorn" in " ".join(child.cmdline()):
            for grandchild in child.children(recursive=True):
                grandchild.kill()
            child.kill()
            return


if __name__ == "__main__":
    sys.exit(main())

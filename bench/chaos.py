"""Chaos benchmark: Redis killed (SIGKILL) for 3, 10 and 30 s during a burst of signed webhooks to a real
`gate serve` (2 workers) on loopback, one fresh service per outage.

    python bench/chaos.py [--builds 300] [--outages 3,10,30] [--clients 4] [--out bench/results/chaos.json]

Redis is a redis-server of the benchmark's own (127.0.0.1, a free port, AOF with fsync always, as
deploy/ runs it), so it can be killed and restarted on the same port; `gate serve` gets it as REDIS_URL.
A third of the way into the burst Redis is killed, and restarted after the outage. Clients post as a store
does: a build not answered 202 is retried with the same webhook-id. Throughout, /healthz is polled every
0.5 s. Passes when every accepted build is decided and called back exactly once, every build was accepted
once, `gate serve` never stopped and /healthz always answered 200. Bounded: --builds posts per outage,
--timeout seconds per outage.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import redis
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Callbacks, GateServe, free_port, pct, sign, upload  # noqa: E402
from gate.record.db import database_url  # noqa: E402
from gate.record.embedded import redis_server_binary  # noqa: E402
from gate.record.repository import Record  # noqa: E402

FIXTURES = sorted(p for p in (ROOT / "tests" / "fixtures" / "apks").glob("*.apk")
                  if p.stat().st_size < 2_000_000)


class KillableRedis:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gate-chaos-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(300):
            try:
                client.ping()
                return
            except (redis.RedisError, OSError):
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


def run_one(outage_s: float, builds: int, clients: int, timeout_s: float) -> dict[str, Any]:
    store = KillableRedis()
    store.start()
    recorder = Callbacks()
    gate = GateServe(2, prefix="gate-chaos-", extra_env={"REDIS_URL": store.url, "GATE_RATE_LIMIT_PER_MINUTE": "0"})
    accepted: dict[str, float] = {}
    answers: dict[int, str] = {}
    answer_ms: list[float] = []
    codes: dict[int, int] = {}
    health_fail: list[str] = []
    lock = threading.Lock()
    done = threading.Event()
    outage: dict[str, float] = {}
    started = time.monotonic()
    try:
        gate.wait_ready()
        creds = gate.add_tenant("chaos", recorder.url)
        bodies = [p.read_bytes() for p in FIXTURES]
        counter = iter(range(builds))
        kill_at = builds // 3

        def health() -> None:
            while not done.is_set():
                try:
                    code = requests.get(f"{gate.base}/healthz", timeout=5).status_code
                    if code != 200:
                        health_fail.append(f"{time.monotonic() - started:.1f}s: {code}")
                except requests.RequestException as exc:
                    health_fail.append(f"{time.monotonic() - started:.1f}s: {type(exc).__name__}")
                done.wait(0.5)

        def chaos() -> None:
            while not done.is_set() and len(answers) < kill_at:
                time.sleep(0.05)
            if done.is_set():
                return
            outage["down_at"] = time.monotonic() - started
            store.kill()
            time.sleep(outage_s)
            store.start()
            outage["up_at"] = time.monotonic() - started

        def client() -> None:
            session = requests.Session()
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                apk = FIXTURES[i % len(FIXTURES)]
                prepared, body = upload(gate.base, "chaos", f"chaos-{i}", apk.name, bodies[i % len(bodies)])
                for attempt in range(400):
                    sign(prepared, body, creds["webhook_secret"], f"chaos-{i}")
                    t0 = time.monotonic()
                    try:
                        resp = session.send(prepared, timeout=60)
                        code = resp.status_code
                    except requests.RequestException:
                        resp, code = None, -1
                    with lock:
                        codes[code] = codes.get(code, 0) + 1
                    if resp is not None and code == 202:
                        with lock:
                            answer_ms.append((time.monotonic() - t0) * 1000)
                            answers[i] = resp.json()["build_id"]
                            accepted.setdefault(resp.json()["build_id"], time.monotonic())
                        break
                    wait = resp.headers.get("Retry-After") if resp is not None else None
                    time.sleep(min(float(wait) if wait and wait.isdigit() else 1.0, 0.1 * (attempt + 1), 2.0))

        helpers = [threading.Thread(target=health, daemon=True), threading.Thread(target=chaos, daemon=True)]
        for th in helpers:
            th.start()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        submitted = time.monotonic() - started
        while time.monotonic() - started < timeout_s:
            with recorder.lock:
                if all(b in recorder.arrivals for b in accepted):
                    break
            time.sleep(0.2)
        time.sleep(3)  # a late duplicate would arrive now
        finished = time.monotonic() - started
        record = Record.from_url(database_url(gate.env))  # the builds are in the record, not in Redis
        statuses: dict[str, int] = {}
        for b in accepted:
            row = record.get_build(b)
            s = row["status"] if row else "missing"
            statuses[s] = statuses.get(s, 0) + 1
        record.engine.dispose()
        serve_alive = gate.proc.poll() is None
    finally:
        done.set()
        gate.stop()
        recorder.close()
        store.kill()
    delivered = [recorder.arrivals[b] - accepted[b] for b in accepted if b in recorder.arrivals]
    return {
        "outage_s": outage_s, "builds": builds, "accepted": len(accepted),
        "distinct_builds_per_webhook": len(set(answers.values())) == len(answers) == builds,
        "decided": sum(v for k, v in statuses.items() if k in ("done", "failed")), "statuses": statuses,
        "called_back": len(delivered), "duplicate_callbacks": len(recorder.seen_twice),
        "lost": len(accepted) - len(delivered), "answer_codes": {str(k): v for k, v in sorted(codes.items())},
        "healthz_failures": health_fail[:10], "healthz_failure_count": len(health_fail),
        "serve_alive_at_end": serve_alive, "redis_down_at_s": outage.get("down_at"),
        "redis_up_at_s": outage.get("up_at"), "submit_s": round(submitted, 1), "total_s": round(finished, 1),
        "answer_ms": {p: round(pct(answer_ms, p), 1) for p in (50, 95, 99)},
        "accepted_to_callback_s": {p: round(pct(delivered, p), 1) for p in (50, 95, 99)},
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=300)
    parser.add_argument("--outages", default="3,10,30")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = []
    for outage in args.outages.split(","):
        results.append(run_one(float(outage), args.builds, args.clients, args.timeout))
        print(json.dumps(results[-1]), flush=True)  # each run as it ends
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    ok = all(r["accepted"] == r["builds"] == r["decided"] == r["called_back"] and not r["duplicate_callbacks"]
             and r["serve_alive_at_end"] and not r["healthz_failure_count"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

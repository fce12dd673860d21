"""Webhook accepted → callback delivered, against a real `gate serve` (embedded Redis, loopback only).

    python bench/service_latency.py [--workers 2] [--rounds 1] [--out bench/results/service_latency.json]

Starts `gate serve` in a temporary data directory, registers a store whose callback endpoint is a local
HTTP server, submits every APK of ../shared/corpus/apks (or the fixtures when the corpus is absent) as a
signed multipart webhook, one after another, and measures for each: the webhook's answer time and the
time from the 202 to the callback's arrival. Bounded: one pass over the files per round, 120 s per build.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import Callbacks, GateServe, pct, sign, upload  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "apks"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    files = sorted(CORPUS.glob("*.apk")) or sorted((ROOT / "tests" / "fixtures" / "apks").glob("*.apk"))

    callbacks = Callbacks()
    arrivals = callbacks.arrivals
    gate = GateServe(args.workers, prefix="gate-bench-")
    base = gate.base
    rows = []
    try:
        gate.wait_ready()
        creds = gate.add_tenant("bench", callbacks.url)
        session = requests.Session()
        for _ in range(args.rounds):
            for path in files:
                prepared, body = upload(base, "bench", path.name, path.name, path.read_bytes())
                sign(prepared, body, creds["webhook_secret"], f"msg_{os.urandom(8).hex()}")
                sent = time.monotonic()
                resp = session.send(prepared, timeout=60)
                accepted = time.monotonic()
                build_id = resp.json()["build_id"]
                limit = accepted + 120
                while build_id not in arrivals and time.monotonic() < limit:
                    time.sleep(0.005)
                rows.append({"file": path.name, "bytes": path.stat().st_size, "http": resp.status_code,
                             "answer_ms": round((accepted - sent) * 1000, 1),
                             "accepted_to_callback_ms": round((arrivals[build_id] - accepted) * 1000, 1)
                             if build_id in arrivals else None})
    finally:
        gate.stop()
        callbacks.close()
    done = [r["accepted_to_callback_ms"] for r in rows if r["accepted_to_callback_ms"] is not None]
    answers = [r["answer_ms"] for r in rows]
    for r in rows:
        print(f"{r['answer_ms']:>8} ms  {r['accepted_to_callback_ms']!s:>8} ms  {r['bytes']:>9}  {r['file']}")
    print(f"\n{len(rows)} builds, {len(done)} callbacks. webhook answer: median {statistics.median(answers):.0f} ms, "
          f"p95 {pct(answers, 95):.0f} ms. accepted→callback: median {statistics.median(done):.0f} ms, "
          f"p95 {pct(done, 95):.0f} ms, max {max(done):.0f} ms")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"builds": rows}, indent=1), encoding="utf-8")
    return 0 if len(done) == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())

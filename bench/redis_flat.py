"""Redis stays flat while the record grows: many builds through the real service path.

A real `gate serve` (web, 2 workers, reaper) on a redis-server of the benchmark's own and the record
(the SQLite file of a fresh data directory, or PostgreSQL with --database-url, in a schema of its own). A
store posts signed webhooks (the fixture APKs in turn, multipart, as in bench/chaos.py) in waves; after each
wave has been decided and called back, the benchmark samples Redis (used_memory, keys by kind) and the
record's size. RQ keeps a finished job's key for GATE_JOB_RESULT_TTL_S (a day by default; --result-ttl here,
so that the run sees it expire); the webhook-id claims live 7 days, and are counted apart.

    python bench/redis_flat.py --builds 2000 [--wave 250] [--database-url postgresql+psycopg://...]

Writes bench/results/redis_flat.json.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sqlite3
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

from bench.harness import Callbacks, GateServe, free_port, sign, upload  # noqa: E402
from gate.record.embedded import redis_server_binary  # noqa: E402

FIXTURES = [ROOT / "tests" / "fixtures" / "apks" / f"{n}.apk"
            for n in ("clean", "self-start", "debuggable", "sdk-calls", "no-preconsent", "exported")]


class OwnRedis:
    """redis-server on a free port, no persistence (the benchmark measures memory, not durability)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="gate-flat-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen([redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--dir", str(self.dir), "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except (redis.RedisError, OSError):
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def redis_sample(client: redis.Redis) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for key in client.scan_iter(count=1000):
        name = key.decode(errors="replace")
        kind = ("gate:webhook" if name.startswith("gate:webhook:") else
                "gate:metrics" if name.startswith("gate:metrics:") else
                "rq:job" if name.startswith("rq:job:") else
                "rq:results" if name.startswith("rq:results:") else name.split(":")[0] + ":*")
        kinds[kind] = kinds.get(kind, 0) + 1
    lasting = [k for k in client.scan_iter(match="gate:*", count=1000)
               if client.ttl(k) < 0 and not k.startswith(b"gate:metrics:")]
    claim_bytes = [client.memory_usage(k) or 0 for k in list(client.scan_iter(match="gate:webhook:*", count=1000))[:50]]
    info = client.info("memory")
    return {"used_memory": int(info["used_memory"]), "keys": client.dbsize(), "keys_by_kind": kinds,
            "gate_keys_without_ttl": len(lasting),
            "claim_key_bytes": round(sum(claim_bytes) / len(claim_bytes)) if claim_bytes else None}


class RecordSize:
    def __init__(self, data_dir: Path, database_url: str | None, schema: str | None) -> None:
        self.file = data_dir / "gate.db"
        self.url = database_url
        self.schema = schema

    def bytes(self) -> int:
        if self.url is None:
            with sqlite3.connect(self.file) as conn:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                pages, size, free = (conn.execute(f"PRAGMA {p}").fetchone()[0]
                                     for p in ("page_count", "page_size", "freelist_count"))
            return int((pages - free) * size)
        from sqlalchemy import text

        from gate.record.db import make_engine

        engine = make_engine(self.url.split("?")[0])
        with engine.connect() as conn:
            total = conn.execute(text(
                "select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_class c join pg_namespace n "
                "on n.oid = c.relnamespace where n.nspname = :s and c.relkind in ('r', 'm')"),
                {"s": self.schema}).scalar_one()
        engine.dispose()
        return int(total)


def post_wave(base: str, creds: dict[str, Any], start: int, count: int, clients: int,
              bodies: list[bytes]) -> dict[int, str]:
    answers: dict[int, str] = {}
    counter = iter(range(start, start + count))
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            apk = FIXTURES[i % len(FIXTURES)]
            prepared, body = upload(base, "flat", f"flat-{i}", apk.name, bodies[i % len(bodies)])
            for _ in range(100):
                sign(prepared, body, creds["webhook_secret"], f"flat-{i}")
                resp = session.send(prepared, timeout=60)
                if resp.status_code == 202:
                    with lock:
                        answers[i] = resp.json()["build_id"]
                    break
                time.sleep(1)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return answers


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--builds", type=int, default=2000)
    ap.add_argument("--wave", type=int, default=250)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--result-ttl", type=int, default=30, help="GATE_JOB_RESULT_TTL_S for the run (s)")
    ap.add_argument("--database-url", help="PostgreSQL (a schema of its own is made); default: SQLite")
    ap.add_argument("--keep-schema", action="store_true", help="leave the PostgreSQL schema (default: dropped)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "redis_flat.json"))
    args = ap.parse_args()

    own = OwnRedis()
    schema = None
    env = {"REDIS_URL": own.url, "GATE_RATE_LIMIT_PER_MINUTE": "0", "GATE_JOB_RESULT_TTL_S": str(args.result_ttl)}
    if args.database_url:
        from sqlalchemy import text

        from gate.record.db import make_engine

        schema = "flat_" + secrets.token_hex(4)
        admin = make_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        env["DATABASE_URL"] = f"{args.database_url}?options=-csearch_path%3D{schema}"
    recorder = Callbacks()
    gate = GateServe(2, prefix="gate-flat-", extra_env=env)
    client = redis.Redis.from_url(own.url)
    size = RecordSize(Path(gate.env["GATE_DATA_DIR"]), env.get("DATABASE_URL"), schema)
    samples: list[dict[str, Any]] = []
    started = time.monotonic()
    try:
        gate.wait_ready(120)
        creds = gate.add_tenant("flat", recorder.url)
        bodies = [p.read_bytes() for p in FIXTURES]
        time.sleep(2)
        base_sample = {"builds": 0, **redis_sample(client), "record_bytes": size.bytes(), "at_s": 0.0}
        samples.append(base_sample)
        print(json.dumps(base_sample), flush=True)
        done = 0
        while done < args.builds:
            count = min(args.wave, args.builds - done)
            answers = post_wave(gate.base, creds, done, count, args.clients, bodies)
            deadline = time.monotonic() + 1800
            while time.monotonic() < deadline:
                with recorder.lock:
                    if all(b in recorder.arrivals for b in answers.values()):
                        break
                time.sleep(0.5)
            done += count
            time.sleep(args.result_ttl + 5)  # RQ's finished-job keys of the wave expire
            sample = {"builds": done, **redis_sample(client), "record_bytes": size.bytes(),
                      "called_back": len(recorder.arrivals), "at_s": round(time.monotonic() - started, 1)}
            samples.append(sample)
            print(json.dumps(sample), flush=True)
            Path(args.out).write_text(json.dumps({"samples": samples}, indent=2) + "\n")  # so far, if stopped
    finally:
        gate.stop()
        recorder.close()
        own.stop()
        if args.database_url and schema and not args.keep_schema:
            from sqlalchemy import text

            from gate.record.db import make_engine

            admin = make_engine(args.database_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    last = samples[-1]
    growth = last["used_memory"] - samples[1]["used_memory"] if len(samples) > 2 else None
    summary = {
        "builds": last["builds"], "database": "postgresql" if args.database_url else "sqlite",
        "result_ttl_s": args.result_ttl,
        "redis_used_memory_first_wave": samples[1]["used_memory"] if len(samples) > 1 else None,
        "redis_used_memory_last_wave": last["used_memory"],
        "redis_growth_after_first_wave_bytes": growth,
        "redis_growth_per_build_after_first_wave_bytes": (round(growth / (last["builds"] - samples[1]["builds"]), 1)
                                                          if growth is not None else None),
        "claim_key_bytes": last["claim_key_bytes"],
        "record_bytes_per_build": round((last["record_bytes"] - samples[0]["record_bytes"]) / last["builds"]),
        "called_back": last.get("called_back"), "total_s": round(time.monotonic() - started, 1),
    }
    Path(args.out).write_text(json.dumps({"summary": summary, "samples": samples}, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

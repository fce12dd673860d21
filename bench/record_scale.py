"""The record at scale: N synthetic builds (findings copied from real verdicts) in SQLite and PostgreSQL.

Reports, per database: the insert rate, the database size per build (tables and indexes), and the p50 / p95
latency of the review-queue query (plain, and filtered by rule and by SDK) and of the package-history query
at that size, plus the p95 of ``Record.finalize`` (one build, one transaction) once the tables are full.

Verdicts: real ones, from ``gate scan --format json`` over corpus files (``--verdicts DIR`` to reuse a folder
of them). Each synthetic build takes one of them round robin, with its own package (of ``--packages``), version
code, sha256, tenant (of 3), developer and category; the verdict document, the findings rows and their SDK
rows are those of the real verdict. Builds are written in bulk (1,000 per transaction) with the rows
``Record.finalize`` writes; history is one entry per (package, version, sha256), and every tenth build is a
re-upload of the previous version's binary (the same entry, counted again).

    python bench/record_scale.py --builds 100000                      # both databases
    python bench/record_scale.py --builds 20000 --db sqlite --keep    # keep the SQLite file to look at

PostgreSQL: ``--pg-url`` (default the CI machine's database ``test``, trust auth); the bench works in a schema
of its own and drops it afterwards.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gate.record.db import make_engine, upgrade  # noqa: E402
from gate.record.models import (  # noqa: E402
    BuildRow,
    FindingRow,
    FindingSdkRow,
    HistoryRow,
    TenantRow,
    VerdictRow,
)
from gate.record.repository import COUNTED, Record, finding_key, new_build_id  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "apks"
SAMPLE = ("agentweb-sample", "mob-sharesdk-samplefresh", "exodus-instapaper", "game2048-unpacked",
          "juzinovel-unpacked", "jpush-hbuilder-hello", "bmob-login-demo", "insecurebankv2")
TENANTS = ("store-a", "store-b", "store-c")
CATEGORIES = ("utility_tools", "online_lending", "map_navigation", "news", "games", "other")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def real_verdicts(folder: Path | None) -> list[dict[str, Any]]:
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="record-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE:
        out = folder / f"{name}.json"
        apk = CORPUS / f"{name}.apk"
        if out.is_file() or not apk.is_file():
            continue
        subprocess.run([sys.executable, "-m", "gate.cli", "scan", str(apk), "--format", "json", "--listing",
                        str(ROOT / "tests" / "fixtures" / "listings" / "complete.json"), "--out", str(out)],
                       cwd=ROOT, check=False, timeout=300)
    verdicts = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    if not verdicts:
        raise SystemExit(f"no verdicts in {folder} and no corpus at {CORPUS}")
    return verdicts


def synthetic(i: int, template: dict[str, Any], packages: int, rng: random.Random,
              last: dict[str, tuple[int, str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The i-th build and its verdict."""
    tenant = TENANTS[i % len(TENANTS)]
    package = f"com.bench.p{rng.randrange(packages):06d}"
    key = f"{tenant}/{package}"
    version, sha = last.get(key, (0, ""))
    if not (version and i % 10 == 0):  # every tenth build re-uploads the last binary
        version, sha = version + 1, secrets.token_hex(32)
    last[key] = (version, sha)
    verdict = dict(template)
    verdict["app"] = {**template["app"], "package": package, "version_code": version, "sha256": sha}
    number = int(package[-6:])
    dev = f"dev-{number % 2000:04d}"
    listing = {"category": CATEGORIES[number % len(CATEGORIES)], "developer": {"name": dev, "id": dev},
               "app_name": package}
    build_id = new_build_id()
    build = {"build_id": build_id, "tenant": tenant, "status": "done", "received_at": 0.0, "attempts": 1,
             "verdict_token": secrets.token_urlsafe(32), "apk_name": f"{package}.apk", "apk_size": 4_000_000,
             "apk_sha256": sha, "listing": listing, "developer": dev, "category": listing["category"],
             "package": package, "version_code": version, "verdict": verdict["verdict"], "extra": {}}
    return build, verdict


def fill(engine: Engine, verdicts: list[dict[str, Any]], n: int, packages: int, seed: int) -> float:
    rng = random.Random(seed)
    last: dict[str, tuple[int, str]] = {}
    start_t = time.time() - n  # one build a second, ending now
    with engine.begin() as conn:
        conn.execute(insert(TenantRow), [
            {"name": t, "callback_url": f"https://{t}.example/cb", "secret": "whsec_x",
             "token_hash": secrets.token_hex(32), "allowed_hosts": [], "policy": None, "policy_override": {},
             "callback_disabled": False, "review_blocks": True, "created_at": start_t} for t in TENANTS])
    began = time.perf_counter()
    batch = 1000
    stored: set[tuple[str, str, int, str]] = set()
    for lo in range(0, n, batch):
        builds, docs, findings, sdks = [], [], [], []
        history: dict[tuple[str, str, int, str], dict[str, Any]] = {}
        for i in range(lo, min(n, lo + batch)):
            build, verdict = synthetic(i, verdicts[i % len(verdicts)], packages, rng, last)
            at = start_t + i
            build["received_at"], build["decided_at"] = at - 5, at
            # the stores review blocks too, and nobody has decided yet: a backlog of every build (worst case)
            build["review_status"] = "pending" if verdict["verdict"] in COUNTED else "not_required"
            builds.append(build)
            docs.append({"build_id": build["build_id"], "document": verdict})
            rows, sdk_rows = Record._finding_rows(build["build_id"], build["tenant"], build["package"],
                                                  build["developer"], build["category"], verdict["findings"], at)
            findings += rows
            sdks += sdk_rows
            app = verdict["app"]
            k = (build["tenant"], app["package"], app["version_code"], app["sha256"])
            entry = history.get(k)
            if entry is None:
                history[k] = {"tenant": k[0], "package": k[1], "version_key": k[2], "sha256": k[3],
                              "version_code": k[2], "version_name": app.get("version_name"),
                              "certificates": [c["sha256"] for c in app.get("certificates", [])],
                              "verdict": verdict["verdict"],
                              "finding_keys": sorted({finding_key(f) for f in verdict["findings"]
                                                      if f["outcome"] in COUNTED}),
                              "first_build_id": build["build_id"], "build_id": build["build_id"], "builds": 1,
                              "first_decided_at": at, "decided_at": at}
            else:
                entry.update(build_id=build["build_id"], decided_at=at, builds=entry["builds"] + 1)
        with engine.begin() as conn:
            conn.execute(insert(BuildRow), builds)
            conn.execute(insert(VerdictRow), docs)
            conn.execute(insert(FindingRow), findings)
            if sdks:
                conn.execute(insert(FindingSdkRow), sdks)
            # a re-upload whose version was stored by an earlier batch updates that entry (finalize's upsert)
            fresh = [h for k, h in history.items() if k not in stored]
            if fresh:
                conn.execute(insert(HistoryRow), fresh)
            for k, h in history.items():
                if k in stored:
                    conn.execute(text(
                        "UPDATE history SET build_id = :b, decided_at = :d, builds = builds + :n WHERE tenant = :t "
                        "AND package = :p AND version_key = :v AND sha256 = :s"),
                        {"b": h["build_id"], "d": h["decided_at"], "n": h["builds"], "t": k[0], "p": k[1],
                         "v": k[2], "s": k[3]})
            stored.update(history)
        done = min(n, lo + batch)
        if done % 10_000 == 0 or done == n:
            rate = done / (time.perf_counter() - began)
            print(f"  {done:,} builds, {rate:,.0f} builds/s", file=sys.stderr, flush=True)
    return time.perf_counter() - began


def size_bytes(engine: Engine, path: Path | None) -> dict[str, int]:
    if engine.dialect.name == "sqlite":
        assert path is not None
        with engine.connect() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            per = {r[0]: int(r[1]) for r in conn.execute(text(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"))}
        return {"total": path.stat().st_size, **per}
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
        per = {r[0]: int(r[1]) for r in conn.execute(text(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND c.relkind = 'r' ORDER BY 2 DESC"))}
    return {"total": sum(per.values()), **per}


def timed(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    fn()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            "max_ms": round(times[-1], 2)}


def measure(engine: Engine, verdicts: list[dict[str, Any]], packages: int, runs: int, seed: int) -> dict[str, Any]:
    rec = Record(engine)
    rng = random.Random(seed + 1)
    rules = sorted({f["rule_id"] for v in verdicts for f in v["findings"] if f["outcome"] in COUNTED})
    sdk_ids = sorted({e["sdk"] for v in verdicts for f in v["findings"] for e in f["evidence"] if e.get("sdk")})
    out: dict[str, Any] = {}
    out["review_queue_newest"] = timed(lambda: rec.review_queue(rng.choice(TENANTS)), runs)
    out["review_queue_oldest"] = timed(lambda: rec.review_queue(rng.choice(TENANTS), oldest_first=True), runs)
    out["review_queue_by_rule"] = timed(lambda: rec.review_queue(rng.choice(TENANTS), rule=rng.choice(rules)), runs)
    # a rule no build fired: every pending build of the tenant is looked at (the worst case of a filter)
    out["review_queue_by_absent_rule"] = timed(lambda: rec.review_queue(rng.choice(TENANTS), rule="NO-SUCH-RULE"),
                                               max(5, runs // 20))
    if sdk_ids:
        out["review_queue_by_sdk"] = timed(lambda: rec.review_queue(rng.choice(TENANTS), sdk=rng.choice(sdk_ids)),
                                           runs)
    out["review_queue_by_developer"] = timed(
        lambda: rec.review_queue(rng.choice(TENANTS), developer=f"dev-{rng.randrange(2000):04d}"), runs)

    def pkg() -> str:
        return f"com.bench.p{rng.randrange(packages):06d}"

    out["review_queue_by_category"] = timed(
        lambda: rec.review_queue(rng.choice(TENANTS), category=rng.choice(CATEGORIES)), runs)
    out["package_history"] = timed(lambda: rec.history(rng.choice(TENANTS), pkg()), runs)
    out["builds_for_package_20"] = timed(lambda: rec.builds_for_package(rng.choice(TENANTS), pkg(), 20), runs)
    # finalize at scale: create + finalize one build (one transaction each), real verdict, new version
    counter = iter(range(10**9))

    def one() -> None:
        i = next(counter)
        template = verdicts[i % len(verdicts)]
        build_id = new_build_id()
        rec.create_build({"build_id": build_id, "tenant": "store-a", "verdict_token": secrets.token_urlsafe(32),
                          "listing": {"category": "other", "developer": {"id": "dev-x"}}})
        v = dict(template)
        v["app"] = {**template["app"], "package": pkg(), "version_code": 10**6 + i, "sha256": secrets.token_hex(32)}
        t = time.perf_counter()
        rec.finalize(build_id, "done", v)
        finals.append((time.perf_counter() - t) * 1000)

    finals: list[float] = []
    for _ in range(min(runs, 200)):
        one()
    finals.sort()
    out["finalize"] = {"p50_ms": round(statistics.median(finals), 2),
                       "p95_ms": round(finals[int(len(finals) * 0.95) - 1], 2)}
    return out


def run(kind: str, args: argparse.Namespace, verdicts: list[dict[str, Any]]) -> dict[str, Any]:
    path: Path | None = None
    schema = None
    admin = None
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="record-scale-", dir=args.tmp)) / "gate.db"
        engine = make_engine(f"sqlite:///{path}")
    else:
        schema = "bench_" + secrets.token_hex(4)
        admin = make_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(args.pg_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        print(f"{kind}: inserting {args.builds:,} builds", file=sys.stderr, flush=True)
        seconds = fill(engine, verdicts, args.builds, args.packages, args.seed)
        sizes = size_bytes(engine, path)
        result = {"database": kind, "builds": args.builds, "insert_s": round(seconds, 1),
                  "insert_builds_per_s": round(args.builds / seconds), "size_bytes": sizes,
                  "bytes_per_build": round(sizes["total"] / args.builds),
                  "queries": measure(engine, verdicts, args.packages, args.runs, args.seed)}
        print(json.dumps(result, indent=1), file=sys.stderr, flush=True)
        return result
    finally:
        engine.dispose()
        if admin is not None:
            if not args.keep:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        if path is not None and not args.keep:
            for p in path.parent.glob("gate.db*"):
                p.unlink()
            path.parent.rmdir()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--builds", type=int, default=100_000)
    ap.add_argument("--packages", type=int, default=5_000, help="distinct packages (per tenant)")
    ap.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--pg-url", default=PG_URL)
    ap.add_argument("--verdicts", type=Path, help="folder of verdict JSON files (made from the corpus if absent)")
    ap.add_argument("--runs", type=int, default=200, help="timed runs per query")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--tmp", help="folder for the SQLite file (default: the system's)")
    ap.add_argument("--keep", action="store_true", help="keep the databases")
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    args = ap.parse_args()
    verdicts = real_verdicts(args.verdicts)
    avg = sum(len(json.dumps(v)) for v in verdicts) / len(verdicts)
    print(f"{len(verdicts)} real verdicts, {avg / 1024:.1f} KiB of JSON and "
          f"{sum(len(v['findings']) for v in verdicts) / len(verdicts):.1f} findings each on average",
          file=sys.stderr)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = {"verdicts": len(verdicts), "verdict_json_bytes_avg": round(avg),
               "runs": [run(k, args, verdicts) for k in kinds]}
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()

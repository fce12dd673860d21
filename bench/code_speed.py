"""How fast the gate reads code, against the floor and against androguard.

    python bench/code_speed.py [--no-androguard] [--out bench/results/code_speed.json]

For every APK of ../shared/corpus/apks and for ../shared/corpus/large/fat-multidex.apk it measures:

- floor: the time merely to inflate the APK's classes*.dex entries (no analyser can beat it);
- gate, whole process: `python -m gate.cli scan APK --format json`, wall time and peak RSS (what a person
  running the CLI waits for), with the gate's bytecode compiled as `pip install` leaves it;
- gate, in process: `scan()` in an already-started process that has preloaded the gate as the RQ workers
  do, best of 3 (what a worker pays per job);
- androguard: `AnalyzeAPK(APK)` in a fresh process, wall time of the whole process and the time of the call
  itself (not on the 49 MB file: 165 s and 9 GB there).

and prints, per file, the ratios, then the targets of issue 4 with PASS/FAIL, and how gate time grows
with total dex size (least-squares slope).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

ANDROGUARD = """
import sys, time, json
from loguru import logger
logger.remove()
t0 = time.perf_counter()
from androguard.misc import AnalyzeAPK
t1 = time.perf_counter()
AnalyzeAPK(sys.argv[1])
print(json.dumps({"call_s": time.perf_counter() - t1}))
"""


def run_child(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB, and stdout of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out.decode(errors="replace")


def inflate_floor(path: Path) -> tuple[float, int]:
    best = float("inf")
    total = 0
    for _ in range(3):
        started = time.perf_counter()
        with zipfile.ZipFile(path) as zf:
            total = sum(len(zf.read(n)) for n in zf.namelist() if re.match(r"^classes\d*\.dex$", n))
        best = min(best, time.perf_counter() - started)
    return best, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-androguard", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "code_speed.json")
    parser.add_argument("files", nargs="*", type=Path, help="APKs to measure (default: the corpus)")
    args = parser.parse_args()
    files = args.files or sorted((CORPUS / "apks").glob("*.apk")) + [CORPUS / "large" / "fat-multidex.apk"]
    files = [f for f in files if f.is_file()]
    if not files:
        print("corpus not found; nothing to measure")
        return 0
    # Measure the gate as installed: `pip install` compiles its bytecode (as androguard's was when it was
    # installed). An editable checkout under PYTHONDONTWRITEBYTECODE=1 never caches it, and every gate
    # process would pay ~50 ms compiling its own sources.
    subprocess.run([sys.executable, "-m", "compileall", "-q", "gate", "checks"], cwd=ROOT, check=True)

    from gate import policy
    from gate.scan import preload, scan

    preload()  # as the RQ workers do before forking work horses
    pol = policy.load("cn-default")
    rows = []
    for path in files:
        floor, dex_bytes = inflate_floor(path)
        wall, rss, out = run_child([sys.executable, "-m", "gate.cli", "scan", str(path), "--format", "json"])
        verdict = json.loads(out) if out.strip() else {}
        scan(path, pol, None)
        inproc = min(_timed(lambda p=path: scan(p, pol, None)) for _ in range(3))
        row = {
            "file": path.name,
            "apk_mb": round(path.stat().st_size / 2**20, 2),
            "dex_mb": round(dex_bytes / 2**20, 2),
            "floor_s": round(floor, 4),
            "gate_process_s": round(wall, 3),
            "gate_rss_mib": round(rss),
            "gate_inprocess_s": round(inproc, 4),
            "verdict": verdict.get("verdict"),
            "failed_checks": [c["check"] for c in verdict.get("checks", []) if c["status"] != "ok"],
        }
        if not args.no_androguard and path.parent.name == "apks":
            ag_wall, ag_rss, ag_out = run_child([sys.executable, "-c", ANDROGUARD, str(path)])
            try:
                row["androguard_call_s"] = round(json.loads(ag_out.strip().splitlines()[-1])["call_s"], 3)
            except (ValueError, IndexError, KeyError):
                row["androguard_call_s"] = None
            row["androguard_process_s"] = round(ag_wall, 3)
            row["androguard_rss_mib"] = round(ag_rss)
        rows.append(row)
        print(_line(row), flush=True)
    report(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"files": rows}, indent=1), encoding="utf-8")
    return 0


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _line(r: dict) -> str:  # type: ignore[type-arg]
    ag = ""
    if r.get("androguard_call_s"):
        by_process = r["androguard_process_s"] / r["gate_process_s"]
        by_call = r["androguard_call_s"] / r["gate_inprocess_s"]
        ag = (f"  androguard {r['androguard_process_s']:>6.2f}s/{r['androguard_call_s']:>6.2f}s "
              f"x{by_process:>5.1f} process x{by_call:>6.1f} in-process")
    floor_ratio = r["gate_inprocess_s"] / max(r["floor_s"], 1e-4)
    return (f"{r['file'][:38]:<38} {r['apk_mb']:>6.2f}MB dex {r['dex_mb']:>6.2f}MB floor {r['floor_s']:.3f}s "
            f"gate {r['gate_process_s']:.3f}s ({r['gate_rss_mib']} MiB) in-process {r['gate_inprocess_s']:.3f}s "
            f"= {floor_ratio:.1f}x floor{ag}")


def report(rows: list[dict]) -> None:  # type: ignore[type-arg]
    print("\nTargets (issue 4):")
    fat = [r for r in rows if r["file"] == "fat-multidex.apk"]
    for r in fat:
        ratio = r["gate_inprocess_s"] / r["floor_s"]
        print(
            f"  fat-multidex: gate in-process {r['gate_inprocess_s']:.2f}s = {ratio:.1f}x the inflate floor "
            f"({r['floor_s']:.2f}s) [{'PASS' if ratio <= 6 else 'FAIL'} <= 6x]; "
            f"whole process {r['gate_process_s']:.2f}s, "
            f"peak {r['gate_rss_mib']} MiB [{'PASS' if r['gate_rss_mib'] <= 1024 else 'FAIL'} <= 1 GB]"
        )
    big = [r for r in rows if r.get("androguard_call_s") and r["apk_mb"] >= 1]
    if big:
        proc = [r["androguard_process_s"] / r["gate_process_s"] for r in big]
        inp = [r["androguard_call_s"] / r["gate_inprocess_s"] for r in big]
        print(
            f"  corpus APKs >= 1 MB ({len(big)}): androguard/gate whole process min {min(proc):.1f}x, median "
            f"{statistics.median(proc):.1f}x [{'PASS' if min(proc) >= 10 else 'FAIL'} >= 10x]; in process min "
            f"{min(inp):.1f}x, median {statistics.median(inp):.1f}x [{'PASS' if min(inp) >= 30 else 'FAIL'} >= 30x]"
        )
        worst = min(big, key=lambda r: r["androguard_call_s"] / r["gate_inprocess_s"])
        print(f"  slowest relative to androguard: {worst['file']}")
    xs = [r["dex_mb"] for r in rows]
    ys = [r["gate_inprocess_s"] for r in rows]
    if len(rows) > 2:
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / max(
            1e-9, sum((x - mx) ** 2 for x in xs)
        )
        print(
            f"  growth: gate in-process time ~ {my - slope * mx:.3f}s + {slope * 1000:.1f} ms per MB of dex "
            f"(over {len(rows)} files, dex 0-{max(xs):.0f} MB)"
        )
    failed = [r["file"] for r in rows if r["failed_checks"]]
    print(f"  checks that failed or timed out: {failed or 'none'}")


if __name__ == "__main__":
    sys.exit(main())

"""Time `gate scan` over the shared corpus: per-file wall time and peak memory, in a fresh process each.

    python bench/scan_corpus.py [--large] [--out bench/results/scan_corpus.json]

Each file is scanned by the real command line (`python -m gate.cli scan FILE --format json`) so the figure
includes interpreter start-up, as a store's pipeline calling the CLI would see it; the verdict's own
`analysis_ms` is reported beside it. Skips cleanly when ../shared/corpus is absent.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def run_one(path: Path) -> dict[str, object]:
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-m", "gate.cli", "scan", str(path), "--format", "json"],
                         capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    verdict = json.loads(out.stdout) if out.stdout.strip() else {}
    return {
        "file": str(path.relative_to(CORPUS)),
        "bytes": path.stat().st_size,
        "exit": out.returncode,
        "verdict": verdict.get("verdict"),
        "wall_s": round(wall, 3),
        "analysis_ms": verdict.get("analysis_ms"),
        "peak_rss_mib_at_most": round(max(before, peak_kib) / 1024, 1),
        "stderr": out.stderr.strip()[:200],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also scan large/fat-multidex.apk (49 MB)")
    parser.add_argument("--out", type=Path, help="write the per-file results as JSON")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    files = sorted((CORPUS / "apks").glob("*.apk")) + sorted((CORPUS / "malformed").glob("*.apk"))
    if args.large:
        files += sorted((CORPUS / "large").glob("*.apk"))
    rows = [run_one(p) for p in files]
    walls = [float(r["wall_s"]) for r in rows]  # type: ignore[arg-type]
    analysis = [int(r["analysis_ms"]) for r in rows if r["analysis_ms"] is not None]  # type: ignore[call-overload]
    slowest = max(rows, key=lambda r: float(r["wall_s"]))  # type: ignore[arg-type]
    for r in rows:
        print(f"{r['wall_s']:>7.3f}s {r['analysis_ms']!s:>6}ms exit={r['exit']} {r['verdict']!s:<5} {r['file']}")
    print(f"\n{len(rows)} files: wall median {statistics.median(walls):.3f} s, slowest {slowest['wall_s']} s "
          f"({slowest['file']}); analysis median {statistics.median(analysis):.0f} ms, max {max(analysis)} ms")
    bad = [r for r in rows if r["exit"] not in (0, 1, 2) or r["stderr"]]
    if bad:
        print(f"PROBLEMS: {bad}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"files": rows}, indent=1), encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

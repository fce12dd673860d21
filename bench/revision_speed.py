"""`gate scan` speed at two git revisions, interleaved file by file so both see the same machine load.

    python bench/revision_speed.py BEFORE AFTER [--rounds 3] [--large] [--only large] [--out FILE]

Each revision is checked out in a temporary detached worktree (as ``verdict_snapshot.py --rev`` does) and
compiled once; every corpus file is then scanned through the real command line (``python -m gate.cli scan
FILE --format json``, cwd and PYTHONPATH at that worktree), before and after in turn, the order swapped
every other file and round (A B, B A, ...) so that a load drift costs both alike. One scan runs at a time.
Per revision: the median over files of each file's median wall time, CPU time (user + system of the
child) and the verdict's own ``analysis_ms``; per file the after/before ratio of those medians; and the
spread, the median wall of each round. The load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verdict_snapshot import default_corpus, tree_at  # noqa: E402


def run_one(root: Path, env: dict[str, str] | None, path: Path) -> tuple[float, float, int | None]:
    """Wall seconds, CPU seconds and ``analysis_ms`` of one scan of ``path`` with the tree at ``root``."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "gate.cli", "scan", str(path), "--format", "json"],
                          capture_output=True, text=True, cwd=root, env=env, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    if proc.returncode not in (0, 1, 2):
        raise RuntimeError(f"{path.name} at {root}: exit {proc.returncode}: {proc.stderr[-500:]}")
    return wall, cpu, json.loads(proc.stdout).get("analysis_ms")


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="also scan large/*.apk (the 49 MB, 63-dex app)")
    parser.add_argument("--only", choices=("large",), help="scan only large/*.apk")
    parser.add_argument("--corpus", type=Path, help="default $GATE_CORPUS or ../shared/corpus")
    parser.add_argument("--out", type=Path, help="write every measurement as JSON")
    args = parser.parse_args()
    corpus = args.corpus or default_corpus()
    if not corpus.is_dir():
        print(f"corpus not found at {corpus}; nothing to measure")
        return 0
    files = [] if args.only else sorted((corpus / "apks").glob("*.apk")) + sorted((corpus / "malformed").glob("*.apk"))
    if args.large or args.only:
        files += sorted((corpus / "large").glob("*.apk"))
    revs = (args.before, args.after)
    load_start = os.getloadavg()
    # rows[rev][file] = [(wall, cpu, analysis_ms), ...] one per round
    rows: dict[str, dict[str, list[tuple[float, float, int | None]]]] = {r: {} for r in revs}
    with ExitStack() as stack:
        trees = {rev: stack.enter_context(tree_at(rev)) for rev in revs}
        print(" ".join(f"{rev} = {commit}" for rev, (_, _, commit) in trees.items()), flush=True)
        for rnd in range(args.rounds):
            for i, path in enumerate(files):
                order = revs if (i + rnd) % 2 == 0 else revs[::-1]
                for rev in order:
                    root, env, _ = trees[rev]
                    rows[rev].setdefault(path.name, []).append(run_one(root, env, path))
            print(f"round {rnd + 1}/{args.rounds} done, load {os.getloadavg()[0]:.2f}", flush=True)
    load_end = os.getloadavg()

    def per_file(rev: str, k: int) -> dict[str, float]:
        return {name: med([float(v) for m in ms if (v := m[k]) is not None]) for name, ms in rows[rev].items()}

    summary: dict[str, Any] = {"before": args.before, "after": args.after, "files": len(files),
                               "rounds": args.rounds, "load_start": load_start, "load_end": load_end, "revs": {}}
    for rev in revs:
        wall, cpu, ana = per_file(rev, 0), per_file(rev, 1), per_file(rev, 2)
        rounds = [med([ms[r][0] for ms in rows[rev].values()]) for r in range(args.rounds)]
        summary["revs"][rev] = {"wall_median_s": med(list(wall.values())), "cpu_median_s": med(list(cpu.values())),
                                "analysis_median_ms": med(list(ana.values())),
                                "wall_median_per_round_s": rounds}
        spread = ", ".join(f"{x:.3f}" for x in rounds)
        print(f"{rev:>12}: wall median {med(list(wall.values())):.3f} s (rounds {spread}), "
              f"CPU median {med(list(cpu.values())):.3f} s, analysis median {med(list(ana.values())):.0f} ms")
    ratios: dict[str, dict[str, float]] = {}
    for k, label in ((0, "wall"), (1, "cpu"), (2, "analysis")):
        a, b = per_file(args.before, k), per_file(args.after, k)
        r = {n: b[n] / a[n] for n in a if a[n] and b.get(n)}
        ratios[label] = r
        if r:
            q = statistics.quantiles(r.values(), n=4) if len(r) > 1 else [next(iter(r.values()))] * 3
            print(f"  per-file after/before {label}: median {med(list(r.values())):.3f} "
                  f"(quartiles {q[0]:.3f}-{q[2]:.3f}, min {min(r.values()):.3f}, max {max(r.values()):.3f})")
    print(f"load average at start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}, "
          f"at end {load_end[0]:.2f} {load_end[1]:.2f} {load_end[2]:.2f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        summary["ratios"] = ratios
        summary["measurements"] = rows
        args.out.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Record every verdict the gate gives over the corpus and the fixtures, or compare with a recording.

A redesign or a speed change must not change what the gate says. This runs the installed command
(`python -m gate.cli scan --format json`, the one interface that stays put across refactors) on every
fixture APK and every corpus file, with and without a listing, under each built-in policy for the fixtures,
and keeps each verdict with the fields that vary by run removed (``analysis_ms``, each check's ``ms``).

    python bench/verdict_snapshot.py record /tmp/before.json
    python bench/verdict_snapshot.py compare /tmp/before.json      # exit 1 and a diff when a verdict changed

Run from the repository root. Skips the corpus cleanly when ../shared/corpus is absent.
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"
LISTING = FIXTURES / "listings" / "complete.json"
POLICIES = ("cn-default", "google-play", "strict")


def cases() -> list[tuple[str, list[str]]]:
    """(name, extra arguments) for every scan to record."""
    out: list[tuple[str, list[str]]] = []
    for apk in sorted((FIXTURES / "apks").glob("*.apk")):
        rel = apk.relative_to(ROOT)
        for policy in POLICIES:
            out.append((f"{rel}|{policy}|listing", [str(apk), "--policy", policy, "--listing", str(LISTING)]))
        out.append((f"{rel}|cn-default|none", [str(apk)]))
    if CORPUS.is_dir():
        for folder in ("apks", "malformed", "large"):
            for apk in sorted((CORPUS / folder).glob("*.apk")):
                rel = f"corpus/{folder}/{apk.name}"
                out.append((f"{rel}|cn-default|listing", [str(apk), "--listing", str(LISTING)]))
                out.append((f"{rel}|cn-default|none", [str(apk)]))
    return out


def normalise(verdict: dict[str, Any]) -> dict[str, Any]:
    verdict.pop("analysis_ms", None)
    for run in verdict.get("checks", []):
        run.pop("ms", None)
    return verdict


def scan(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "gate.cli", "scan", "--format", "json", *args],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    if proc.returncode not in (0, 1, 2):
        return {"error": f"exit {proc.returncode}", "stderr": proc.stderr[-2000:]}
    verdict = normalise(json.loads(proc.stdout))
    verdict["exit"] = proc.returncode
    return verdict


def record() -> dict[str, Any]:
    todo = cases()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda case: scan(case[1]), todo))
    return {name: result for (name, _), result in zip(todo, results, strict=True)}


def _evidence(verdict: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for finding in verdict.get("findings", []):
        items = out.setdefault(finding["rule_id"], set())
        for e in finding.get("evidence", []):
            sdk = f" [{e['sdk']}]" if e.get("sdk") else ""
            items.add(f"{e.get('kind')}: {e.get('value')} @ {e.get('location')}{sdk}")
    return out


def summarise(name: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    """What changed in one verdict, in words: verdict, rules fired, evidence items (at most 8 each way per rule)."""
    lines = [f"== {name}: {old.get('verdict')} -> {new.get('verdict')}"]
    before, after = _evidence(old), _evidence(new)
    for rule in sorted(set(before) | set(after)):
        if rule not in before:
            lines.append(f"  + {rule} (new finding)")
        elif rule not in after:
            lines.append(f"  - {rule} (gone)")
        old, new = before.get(rule, set()), after.get(rule, set())
        for sign, items in (("+", sorted(new - old)), ("-", sorted(old - new))):
            lines += [f"    {sign} {item}" for item in items[:8]]
            if len(items) > 8:
                lines.append(f"    {sign} ... {len(items) - 8} more")
    if len(lines) == 1:
        lines.append("  (same findings and evidence; other fields differ)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("record", "compare"))
    parser.add_argument("file")
    parser.add_argument("--summary", action="store_true",
                        help="per changed verdict: the verdict, findings and evidence added or removed")
    args = parser.parse_args()
    now = record()
    if args.action == "record":
        Path(args.file).write_text(json.dumps(now, indent=1, sort_keys=True, ensure_ascii=False))
        print(f"recorded {len(now)} verdicts in {args.file}")
        return 0
    before = json.loads(Path(args.file).read_text())
    changed = 0
    for name in sorted(set(before) | set(now)):
        old, new = before.get(name), now.get(name)
        if old == new:
            continue
        changed += 1
        if args.summary:
            print(summarise(name, old or {}, new or {}))
            continue
        a = json.dumps(old, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
        b = json.dumps(new, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
        print(f"--- {name}")
        print("\n".join(list(difflib.unified_diff(a, b, "before", "after", lineterm="", n=2))[:80]))
    print(f"{len(now)} verdicts compared, {changed} changed")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Record every verdict the gate gives over the corpus and the fixtures, or compare with a recording.

A redesign or a speed change must not change what the gate says. This runs the installed command
(`python -m gate.cli scan --format json`, the one interface that stays put across refactors) on every
fixture APK and every corpus file, with and without a listing, under each built-in policy for the fixtures,
and keeps each verdict with the fields that vary by run removed (``analysis_ms``, each check's ``ms``), and
the SHA-256 of the command's exact output with those two numbers set to 0 (``stdout_sha256``): equal verdicts
whose bytes differ (key order, spacing, escaping) are reported too. A recording without that hash (made before
it was added) is compared on its content alone.

    python bench/verdict_snapshot.py record /tmp/before.json
    python bench/verdict_snapshot.py compare /tmp/before.json      # exit 1 and a diff when a verdict changed
    python bench/verdict_snapshot.py record /tmp/a.json --rev a33b04a^1   # the tree of another revision
    python bench/verdict_snapshot.py diff /tmp/a.json /tmp/b.json --summary

``--rev`` checks the revision out in a temporary detached worktree under /tmp (removed afterwards) and runs
the scans there (cwd and PYTHONPATH), so the code, the fixtures and the listing are that revision's. The
corpus is ``--corpus``, else $GATE_CORPUS, else ../shared/corpus beside this checkout; skipped cleanly when
absent. ``diff`` compares two recordings over the cases both hold and names the cases only one holds.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ("cn-default", "google-play", "strict")
BYTES = "stdout_sha256"
_TIMINGS = re.compile(r'"(analysis_ms|ms)": \d+')


def default_corpus() -> Path:
    return Path(os.environ.get("GATE_CORPUS") or ROOT.parent / "shared" / "corpus")


def cases(root: Path, corpus: Path) -> list[tuple[str, list[str]]]:
    """(name, extra arguments) for every scan to record; names do not depend on where the tree sits."""
    fixtures = root / "tests" / "fixtures"
    listing = fixtures / "listings" / "complete.json"
    out: list[tuple[str, list[str]]] = []
    for apk in sorted((fixtures / "apks").glob("*.apk")):
        rel = str(apk.relative_to(root))
        for policy in POLICIES:
            out.append((f"{rel}|{policy}|listing", [str(apk), "--policy", policy, "--listing", str(listing)]))
        out.append((f"{rel}|cn-default|none", [str(apk)]))
    if corpus.is_dir():
        for folder in ("apks", "malformed", "large"):
            for apk in sorted((corpus / folder).glob("*.apk")):
                rel = f"corpus/{folder}/{apk.name}"
                out.append((f"{rel}|cn-default|listing", [str(apk), "--listing", str(listing)]))
                out.append((f"{rel}|cn-default|none", [str(apk)]))
    return out


def normalise(verdict: dict[str, Any]) -> dict[str, Any]:
    verdict.pop("analysis_ms", None)
    for run in verdict.get("checks", []):
        run.pop("ms", None)
    return verdict


def scan(root: Path, args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "gate.cli", "scan", "--format", "json", *args],
                          capture_output=True, text=True, cwd=root, env=env, check=False)
    if proc.returncode not in (0, 1, 2):
        return {"error": f"exit {proc.returncode}", "stderr": proc.stderr[-2000:]}
    verdict = normalise(json.loads(proc.stdout))
    verdict["exit"] = proc.returncode
    verdict[BYTES] = hashlib.sha256(_TIMINGS.sub(r'"\1": 0', proc.stdout).encode()).hexdigest()
    return verdict


@contextmanager
def tree_at(rev: str | None) -> Iterator[tuple[Path, dict[str, str] | None, str]]:
    """The tree to scan with: this checkout, or a temporary detached worktree of ``rev`` (and its full hash)."""
    if rev is None:
        yield ROOT, None, "working tree"
        return
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    where = Path(tempfile.mkdtemp(prefix=f"snapshot-{commit[:10]}-", dir="/tmp")) / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(where), commit], cwd=ROOT, check=True)
    try:
        # The package is installed editable from another checkout: PYTHONPATH puts this revision's gate,
        # checks, webhooks and workers first. The interpreter and the installed dependencies stay the same.
        env = {**os.environ, "PYTHONPATH": str(where)}
        # Compiled once here: this machine sets PYTHONDONTWRITEBYTECODE, so each scan would recompile.
        subprocess.run([sys.executable, "-m", "compileall", "-q", "gate", "checks", "webhooks", "workers"],
                       cwd=where, check=False, capture_output=True)
        yield where, env, commit
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, check=False)
        where.parent.rmdir()


def record(rev: str | None = None, corpus: Path | None = None, jobs: int = 2) -> dict[str, Any]:
    with tree_at(rev) as (root, env, commit):
        if env is not None:
            probe = subprocess.run([sys.executable, "-c", "import gate; print(gate.__file__)"], cwd=root,
                                   env=env, capture_output=True, text=True, check=True).stdout.strip()
            if not probe.startswith(str(root)):
                raise SystemExit(f"gate imported from {probe}, not from the worktree {root}")
        todo = cases(root, corpus or default_corpus())
        print(f"{len(todo)} scans of {commit}", file=sys.stderr)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(lambda case: scan(root, case[1], env), todo))
    return {name: result for (name, _), result in zip(todo, results, strict=True)}


def _evidence(verdict: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for finding in verdict.get("findings", []):
        items = out.setdefault(finding["rule_id"], set())
        for e in finding.get("evidence", []):
            sdk = f" [{e['sdk']}]" if e.get("sdk") else ""
            items.add(f"{e.get('kind')}: {e.get('value')} @ {e.get('location')}{sdk}")
    return out


def _changed_fields(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """Dotted paths of the leaves that differ (list items by index), to say what differs besides evidence."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            here = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append(f"{here} ({'added' if key not in old else 'removed'})")
            else:
                out += _changed_fields(old[key], new[key], here)
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [f for i, (a, b) in enumerate(zip(old, new, strict=True)) for f in _changed_fields(a, b, f"{path}[{i}]")]
    return [] if old == new else [path]


def summarise(name: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    """What changed in one verdict, in words: verdict, rules fired, evidence items (at most 8 each way per rule)."""
    lines = [f"== {name}: {old.get('verdict')} -> {new.get('verdict')}"]
    before, after = _evidence(old), _evidence(new)
    for rule in sorted(set(before) | set(after)):
        if rule not in before:
            lines.append(f"  + {rule} (new finding)")
        elif rule not in after:
            lines.append(f"  - {rule} (gone)")
        was, now = before.get(rule, set()), after.get(rule, set())
        for sign, items in (("+", sorted(now - was)), ("-", sorted(was - now))):
            lines += [f"    {sign} {item}" for item in items[:8]]
            if len(items) > 8:
                lines.append(f"    {sign} ... {len(items) - 8} more")
    fields = _changed_fields(old, new)
    lines.append(f"  fields: {', '.join(fields[:12])}{' ...' if len(fields) > 12 else ''}")
    return "\n".join(lines)


def report(before: dict[str, Any], after: dict[str, Any], summary: bool, only_shared: bool) -> int:
    """Print every changed verdict; with ``only_shared``, compare the cases both hold and list the others."""
    names = sorted(set(before) & set(after)) if only_shared else sorted(set(before) | set(after))
    changed = 0
    for name in names:
        old, new = before.get(name), after.get(name)
        if old is not None and new is not None and (BYTES not in old or BYTES not in new):
            old, new = ({k: v for k, v in d.items() if k != BYTES} for d in (old, new))
        if old == new:
            continue
        changed += 1
        if summary:
            print(summarise(name, old or {}, new or {}))
            continue
        a = json.dumps(old, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
        b = json.dumps(new, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
        print(f"--- {name}")
        print("\n".join(list(difflib.unified_diff(a, b, "before", "after", lineterm="", n=2))[:80]))
    if only_shared:
        for label, mine, other in (("only before", before, after), ("only after", after, before)):
            for name in sorted(set(mine) - set(other)):
                print(f"{label}: {name}")
        print(f"{len(names)} cases in both: {len(names) - changed} identical, {changed} changed; "
              f"{len(set(before) - set(after))} only before, {len(set(after) - set(before))} only after")
    else:
        print(f"{len(names)} verdicts compared, {changed} changed")
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("action", choices=("record", "compare", "diff"),
                        help="record FILE; compare FILE with a fresh run; diff BEFORE AFTER (two recordings)")
    parser.add_argument("file")
    parser.add_argument("after", nargs="?", help="diff: the later recording")
    parser.add_argument("--rev", help="record or compare the tree of this git revision (temporary worktree)")
    parser.add_argument("--corpus", type=Path, help="the corpus folder (default $GATE_CORPUS or ../shared/corpus)")
    parser.add_argument("--jobs", type=int, default=2, help="scans at once (default 2)")
    parser.add_argument("--summary", action="store_true",
                        help="per changed verdict: the verdict, findings and evidence added or removed")
    args = parser.parse_args()
    if args.action == "diff":
        if not args.after:
            parser.error("diff needs two recordings")
        before, after = (json.loads(Path(f).read_text(encoding="utf-8")) for f in (args.file, args.after))
        return report(before, after, args.summary, only_shared=True)
    now = record(args.rev, args.corpus, args.jobs)
    if args.action == "record":
        Path(args.file).write_text(json.dumps(now, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        print(f"recorded {len(now)} verdicts in {args.file}")
        return 0
    return report(json.loads(Path(args.file).read_text(encoding="utf-8")), now, args.summary, only_shared=False)


if __name__ == "__main__":
    sys.exit(main())

"""False positives of the MAL- rules over the shared corpus, and what they cost.

    python bench/mal_false_positives.py [--large] [--out bench/results/mal_false_positives.json]

None of the corpus apps is malware (demos, SDK samples, training apps, packer samples), so every MAL- finding
on them is a false positive: each one is listed with its message and evidence, to be explained or fixed.
Each file is scanned in this process with every check under cn-default, as `gate scan` does; the time of the
MAL- checks is read from the verdict's per-check timings (they run after the other checks share their
caches, as in production) and set against the scan's whole analysis time. Skips cleanly without the corpus.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also scan large/fat-multidex.apk (49 MB)")
    parser.add_argument("--out", type=Path, help="write the per-file results as JSON")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    from checks import discover
    from gate import policy
    from gate.scan import scan

    specs = discover()
    mal = {s.name for s in specs if s.rule_id.startswith("MAL-")}
    pack = policy.load("cn-default")
    files = sorted((CORPUS / "apks").glob("*.apk")) + sorted((CORPUS / "malformed").glob("*.apk"))
    if args.large:
        files += sorted((CORPUS / "large").glob("*.apk"))
    rows = []
    for path in files:
        verdict = scan(path, pack, checks=specs)
        mal_ms = sum(r.ms for r in verdict.checks if r.check in mal)
        found = [f for f in verdict.findings if f.rule_id.startswith("MAL-")]
        rows.append({
            "file": str(path.relative_to(CORPUS)), "analysis_ms": verdict.analysis_ms, "mal_ms": mal_ms,
            "mal_findings": [{"rule_id": f.rule_id, "message": f.message,
                              "evidence": [e.value for e in f.evidence][:8]} for f in found],
        })
        flag = ", ".join(f.rule_id for f in found) or "-"
        print(f"{rows[-1]['file']:<66} {verdict.analysis_ms:>6} ms  MAL {mal_ms:>5} ms  {flag}")
    positives = [r for r in rows if r["mal_findings"]]
    shares = [r["mal_ms"] / r["analysis_ms"] for r in rows if r["analysis_ms"]]
    print(f"\n{len(rows)} files, {len(positives)} with a MAL- finding (all false positives: no corpus app is malware)")
    for r in positives:
        for f in r["mal_findings"]:
            print(f"  {r['file']}: {f['rule_id']}: {f['message']}")
            for e in f["evidence"]:
                print(f"      {e}")
    print(f"MAL- checks: median {statistics.median(r['mal_ms'] for r in rows)} ms per file, "
          f"median share of the analysis {100 * statistics.median(shares):.1f} %, "
          f"max share {100 * max(shares):.1f} %, total {sum(r['mal_ms'] for r in rows)} ms "
          f"of {sum(r['analysis_ms'] for r in rows)} ms")
    if args.out:
        args.out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

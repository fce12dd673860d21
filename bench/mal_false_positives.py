"""False positives of the MAL- rules over the shared corpus, and what they cost.

    python bench/mal_false_positives.py [--large] [--out bench/results/mal_false_positives.json]

None of the corpus apps is malware (demos, SDK samples, training apps, packer samples), so every MAL- finding
on them is a false positive: each one is listed with its message and evidence, to be explained or fixed.
Each file is scanned in this process under cn-default twice, with every check and without the MAL- checks
(best of --repeat runs each, the two interleaved), and the two analysis times are compared: the MAL- checks'
own per-check timings are not the cost, because the first check to need the signature or the dex waits for
work that another check would otherwise wait for. Skips cleanly without the corpus.
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
    parser.add_argument("--repeat", type=int, default=3, help="scans per file and configuration (best is kept)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    from checks import discover
    from gate.core import policy
    from gate.core.scan import scan

    specs = discover()
    mal = {s.name for s in specs if s.rule_id.startswith("MAL-")}
    without = tuple(s for s in specs if s.name not in mal)
    pack = policy.load("cn-default")
    files = sorted((CORPUS / "apks").glob("*.apk")) + sorted((CORPUS / "malformed").glob("*.apk"))
    if args.large:
        files += sorted((CORPUS / "large").glob("*.apk"))
    rows = []
    for path in files:
        best_with = best_without = 10**9
        for _ in range(args.repeat):
            verdict = scan(path, pack, checks=specs)
            best_with = min(best_with, verdict.analysis_ms)
            best_without = min(best_without, scan(path, pack, checks=without).analysis_ms)
        mal_ms = sum(r.ms for r in verdict.checks if r.check in mal)
        found = [f for f in verdict.findings if f.rule_id.startswith("MAL-")]
        rows.append({
            "file": str(path.relative_to(CORPUS)), "analysis_ms": best_with, "without_mal_ms": best_without,
            "mal_ms": mal_ms,
            "mal_findings": [{"rule_id": f.rule_id, "message": f.message,
                              "evidence": [e.value for e in f.evidence][:8]} for f in found],
        })
        flag = ", ".join(f.rule_id for f in found) or "-"
        print(f"{rows[-1]['file']:<66} {best_with:>6} ms  without MAL {best_without:>6} ms  {flag}")
    positives = [r for r in rows if r["mal_findings"]]
    with_ = [r["analysis_ms"] for r in rows]
    without_ = [r["without_mal_ms"] for r in rows]
    print(f"\n{len(rows)} files, {len(positives)} with a MAL- finding (all false positives: no corpus app is malware)")
    for r in positives:
        for f in r["mal_findings"]:
            print(f"  {r['file']}: {f['rule_id']}: {f['message']}")
            for e in f["evidence"]:
                print(f"      {e}")
    med_with, med_without = statistics.median(with_), statistics.median(without_)
    print(f"analysis time, median over files: {med_with} ms with the MAL- checks, {med_without} ms without "
          f"(+{100 * (med_with - med_without) / med_without:.1f} %); total {sum(with_)} ms vs {sum(without_)} ms "
          f"(+{100 * (sum(with_) - sum(without_)) / sum(without_):.1f} %); median per-file ratio "
          f"{statistics.median(r['analysis_ms'] / r['without_mal_ms'] for r in rows if r['without_mal_ms'] > 20):.3f}")
    if args.out:
        args.out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

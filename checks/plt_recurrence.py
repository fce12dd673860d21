"""A warn or block finding recurs on consecutive versions of the package: the problem came back after
"rectification".

Each warn or block finding of this build is compared, by rule and evidence, with the findings of the
package's previous versions at this store. A finding present on this and the previous version warns; present
on three or more consecutive versions it blocks.

Why it matters
--------------
Regulators punish hardest the problems that return after an app was told to fix them, and hold the store
responsible for relisting them. A store needs to see at once that a "fixed" version is the same old app.

How to fix
----------
Fix the findings named here for good (each has its own fix), then resubmit. A finding that recurs because it
is accepted (for example an SDK the policy now discloses) should be settled with the store, not resubmitted
unchanged.

References
----------
No single clause: the MIIT notices' escalation for problems that recur after rectification.
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.context import BuildContext
from gate.history import finding_key
from gate.model import Evidence, Finding, Outcome

RULE_ID = "PLT-RECURRENCE"
STAGE = "post"


def run(ctx: BuildContext) -> Iterator[Finding]:
    if ctx.history is None or not ctx.prior_findings:
        return
    versions = ctx.history.versions(ctx.manifest.package)
    if not versions:
        return
    counted = [f for f in ctx.prior_findings
               if ctx.policy.outcome_for(f.rule_id) in ("warn", "block") and f.rule_id != "GATE-CHECK-FAILED"]
    evidence = []
    worst = 0
    for finding in counted:
        key = finding_key(finding.to_dict())
        streak = 1
        for version in reversed(versions):
            if key not in version.get("findings", []):
                break
            streak += 1
        if streak >= 2:
            worst = max(worst, streak)
            builds = [v.get("build_id") for v in versions[-(streak - 1):]]
            evidence.append(Evidence("history",
                                     f"{finding.rule_id} on {streak} consecutive versions: {finding.message}",
                                     f"builds {', '.join(str(b) for b in builds)} and this one",
                                     extra={"rule_id": finding.rule_id, "key": key, "consecutive": streak}))
    if evidence:
        yield Finding(
            rule_id=RULE_ID,
            message=f"{len(evidence)} problem(s) recur after rectification, on up to {worst} consecutive versions.",
            evidence=tuple(evidence),
            outcome=Outcome.BLOCK if worst >= 3 else None,
        )

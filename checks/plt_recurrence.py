"""A warn or block finding recurs on consecutive versions of the package: the problem came back after
"rectification".

Each warn or block finding of this build is compared, by rule and evidence, with the findings of the
package's previous versions at this store. A finding present on this and the previous version warns; present
on three or more consecutive versions it blocks (the rule's escalation, applied by the policy step from the
count of consecutive versions each evidence item carries). A finding the store has waived (a reviewer
accepted it for this package or developer) is not counted: it neither triggers the rule nor raises its count.

Why it matters
--------------
Regulators punish hardest the problems that return after an app was told to fix them, and hold the store
responsible for relisting them. A store needs to see at once that a "fixed" version is the same old app.

How to fix
----------
Fix the findings named here for good (each has its own fix), then resubmit. A finding that recurs because it
is accepted (for example an SDK the policy now discloses) should be settled with the store, not resubmitted
unchanged.

为何重要
--------
监管部门对被要求整改后再次出现的问题处罚最重，并会追究应用商店重新上架这类应用的责任。应用商店需要立即识别出
“已整改”的版本其实还是原来的应用。

如何修复
--------
彻底修复此处列出的问题（每项问题各有其修复方法），然后重新提交。如果问题因已被接受而整改后再次出现（例如
隐私政策现已披露的第三方 SDK），应与应用商店协商解决，而不是原样重新提交。

References
----------
No single clause: the MIIT notices' escalation for problems that recur after rectification.

概述
----
警告或阻止类问题在该应用的连续版本中反复出现：问题在“整改”后又回来了。本版本的每个警告或阻止类发现，都会按规则和证据
与该应用此前在本应用商店的版本的发现进行比对。本版本与上一版本都有的发现给出警告；连续三个及以上版本都有的则阻止上架
（规则的升级机制，由策略步骤根据每条证据记录的连续版本数执行）。应用商店已豁免的发现（审核员已对该应用或该开发者
接受的问题）不计入：既不触发本规则，也不增加连续版本数。

依据
----
无单一条款：工信部通知对整改后反复出现的问题的升级处理。
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from gate.core import reference, waivers
from gate.core.context import BuildContext
from gate.core.history import finding_key
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Escalation, Params, Rule, Stage

RULE = Rule(
    id="PLT-RECURRENCE",
    title="Problem recurs after rectification",
    title_zh="整改后问题再次出现",
    fires_when="a warn or block finding (same rule, same evidence key) was also reported on the previous versions of "
               "the same package: the problem recurs after rectification. Outcome rises with the count: warn on the "
               "2nd consecutive version, block from the 3rd",
    references=(),
    default_outcome=Outcome.WARN,
    stage=Stage.HISTORY,
    escalation=Escalation(Outcome.BLOCK, at=3, count="consecutive"),
    rank=40,
)


def run(ctx: BuildContext, params: Params, earlier: Sequence[Finding]) -> Iterator[Finding]:
    """``earlier``: this build's findings from the other stages, each with the outcome the policy gave it."""
    if ctx.history is None or not earlier:
        return
    versions = ctx.history.versions(ctx.manifest.package)
    if not versions:
        return
    # a finding the store waived (its reviewer accepted it) is no recurring problem: the waivers apply first
    accepted = waivers.store_waivers(ctx.history, ctx.manifest.package, ctx.listing)
    counted = [f for f in earlier
               if f.outcome in (Outcome.WARN, Outcome.BLOCK) and f.rule_id != "GATE-CHECK-FAILED"
               and not (accepted and waivers.covering(accepted, f.to_dict()))]
    evidence = []
    worst = 0
    streaks: dict[str, int] = {}  # the longest streak of each recurring rule, in order of first appearance
    for finding in counted:
        key = finding_key(finding.to_dict())
        streak = 1
        for version in reversed(versions):
            if key not in version.get("findings", []):
                break
            streak += 1
        if streak >= 2:
            worst = max(worst, streak)
            streaks[finding.rule_id] = max(streaks.get(finding.rule_id, 0), streak)
            builds = [v.get("build_id") for v in versions[-(streak - 1):]]
            evidence.append(Evidence("history",
                                     f"{finding.rule_id} on {streak} consecutive versions: {finding.message}",
                                     f"builds {', '.join(str(b) for b in builds)} and this one",
                                     extra={"rule_id": finding.rule_id, "key": key, "consecutive": streak}))
    if evidence:
        yield Finding(
            rule_id=RULE.id,
            message=f"{len(evidence)} problem(s) recur after rectification, on up to {worst} consecutive versions.",
            message_zh=f"{len(evidence)} 个问题整改后再次出现，最多连续出现在 {worst} 个版本中："
                       + "；".join(_rule_zh(rule_id, streak) for rule_id, streak in streaks.items()) + "。",
            evidence=tuple(evidence),
        )


def _rule_zh(rule_id: str, streak: int) -> str:
    """"HAR-SELF-START（自启动与关联启动）连续 3 个版本": the rule by id and Chinese title."""
    rule = reference.rules().get(rule_id)
    title = f"（{rule.title_zh}）" if rule is not None and rule.title_zh else ""
    return f"{rule_id}{title}连续 {streak} 个版本"

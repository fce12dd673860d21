"""targetSdkVersion is below Google Play's target API level requirement (the google-play pack's floor).

Why it matters
--------------
Google Play only accepts new apps and updates that target a recent API level, so that they get the
platform's current privacy and security behaviour. A store mirroring Play's rules refuses the same builds.

How to fix
----------
Raise `targetSdkVersion` to at least the floor named in the finding and adapt the app to the platform
changes of each level in between (Play publishes the list).

为何重要
--------
Google Play 只接受以较新 API 级别为目标的新应用和更新，以确保它们具备系统当前的隐私和安全行为。
与 Play 规则保持一致的应用商店会拒绝同样的版本。

如何修复
--------
请将 `targetSdkVersion` 提高到不低于检查结果中给出的下限，并针对其间每个 API 级别的系统变更适配应
用（Play 公布了变更清单）。

References
----------
GP-01: Google Play's target API level requirement.

概述
----
`targetSdkVersion` 低于谷歌应用商店的目标 API 级别要求（`google-play` 策略包设定的下限）。

依据
----
`GP-01`：谷歌应用商店的目标 API 级别要求。
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding
from gate.core.rules import Params, Rule, Setting

RULE = Rule(
    id="GP-TARGET-SDK",
    title="targetSdkVersion below Google Play's floor",
    title_zh="目标 API 级别低于 Google Play 要求",
    fires_when="targetSdkVersion < 35",
    references=("GP-01",),
    default_outcome="off",
    settings={"play_target_sdk_floor": Setting(35, "API level", "GP-TARGET-SDK fires below this targetSdkVersion "
                                               "(Google Play's target API level requirement).",
                                               minimum=1, maximum=100)},
    rank=10,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    target = ctx.manifest.target_sdk
    floor: int = params["play_target_sdk_floor"]
    if target < floor:
        yield Finding(
            rule_id=RULE.id,
            message=f"targetSdkVersion is {target}; Google Play requires at least {floor}.",
            message_zh=f"`targetSdkVersion` 为 {target}；Google Play 要求至少为 {floor}。",
            evidence=(Evidence("manifest", f"targetSdkVersion={target}", "AndroidManifest.xml <uses-sdk>",
                               extra={"floor": floor}),),
        )

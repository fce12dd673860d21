"""targetSdkVersion is below the policy's floor.

The effective target is the declared `targetSdkVersion`, or `minSdkVersion` when none is declared (as
Android itself does). The floor is the setting `target_sdk_floor` (30 unless the policy overrides it).

Why it matters
--------------
An old target opts the app out of the platform's privacy protections: apps targeting API 22 or less get
every dangerous permission at install time, apps below 29/30 keep broad storage and background access.
Chinese app stores jointly require a recent target level, as does Google Play.

How to fix
----------
Raise `targetSdkVersion` in the module's build.gradle to at least the floor named in the finding, then
handle the newer platform behaviours (runtime permissions, scoped storage, exported flags, background
limits) and test the app again.

为何重要
--------
过低的目标 API 级别会让应用绕开系统的隐私保护：目标 API 级别为 22 及以下的应用在安装时即获得全部危
险权限，低于 29/30 的应用仍保留宽泛的存储和后台访问能力。国内各应用商店联合要求使用较新的目
标 API 级别，Google Play 亦然。

如何修复
--------
请在模块的 `build.gradle` 中将 `targetSdkVersion` 提高到不低于检查结果中给出的下限，然后适配新版系统
的行为变更（运行时权限、分区存储、组件导出标记、后台限制），并重新测试应用。

References
----------
TS-18: technical signal of an outdated target API level.
GP-01: Google Play's target API level requirement.

概述
----
`targetSdkVersion` 低于审核策略设定的下限。实际目标版本为声明的 `targetSdkVersion`，未声明时为 `minSdkVersion`（与
Android 自身的处理一致）。下限由设置项 `target_sdk_floor` 决定（除非策略另行设定，默认为 30）。

依据
----
`TS-18`：目标 API 级别过旧的技术特征。
`GP-01`：谷歌应用商店的目标 API 级别要求。
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule, Setting

RULE = Rule(
    id="PKG-TARGET-SDK",
    title="targetSdkVersion below the store's floor",
    title_zh="目标 API 级别低于应用商店要求",
    fires_when="targetSdkVersion below the policy's floor (cn-default: 30; google-play pack: 35)",
    references=("TS-18", "GP-01"),
    default_outcome=Outcome.BLOCK,
    settings={"target_sdk_floor": Setting(30, "API level", "PKG-TARGET-SDK fires below this targetSdkVersion.",
                                          minimum=1, maximum=100)},
    rank=60,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    manifest = ctx.manifest
    floor: int = params["target_sdk_floor"]
    target = manifest.target_sdk
    if target >= floor:
        return
    declared = manifest.target_sdk_declared
    how = (f"targetSdkVersion is {target}" if declared is not None
           else f"no targetSdkVersion is declared, so it defaults to minSdkVersion ({target})")
    how_zh = (f"`targetSdkVersion` 为 {target}" if declared is not None
              else f"未声明 `targetSdkVersion`，因此默认取 `minSdkVersion`（{target}）")
    yield Finding(
        rule_id=RULE.id,
        message=f"{how}; policy {params.policy} requires at least {floor}.",
        message_zh=f"{how_zh}；策略 `{params.policy}` 要求至少为 {floor}。",
        evidence=(Evidence("manifest", f"targetSdkVersion={target}", "AndroidManifest.xml <uses-sdk>",
                           extra={"floor": floor}),),
        remediation=f"Raise targetSdkVersion to {floor} or higher, then adapt and retest the app for the newer "
                    "platform behaviours.",
        remediation_zh=f"请将 `targetSdkVersion` 提高到 {floor} 或以上，然后针对新版系统的行为变更适配应用并重新测试。",
    )

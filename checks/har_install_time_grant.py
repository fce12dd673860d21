"""Dangerous permissions are granted at install time, without asking (targetSdkVersion below 23).

Why it matters
--------------
Apps that target API 22 or lower never show runtime permission dialogs: installing the app grants every
dangerous permission it lists. Users cannot refuse a single one, which the identification method counts
as forcing users to grant permissions.

How to fix
----------
Target API 23 or higher (the store's floor is higher still) and ask for each dangerous permission at run
time, when the feature that needs it is used, after explaining why.

为何重要
--------
`targetSdkVersion` 为 22 及以下的应用从不弹出运行时权限申请：安装应用即授予其声明的全部危险权限，
用户无法逐项拒绝。《App违法违规收集使用个人信息行为认定方法》将此认定为强制用户授权。

如何修复
--------
将 `targetSdkVersion` 提高到 23 及以上（应用商店要求的最低版本更高），并在用户使用需要某项危险权限的功能时，
先说明用途，再在运行时逐项申请。

References
----------
CN-REC-4.6: not letting users grant or refuse permissions one by one counts as collecting without consent.

概述
----
危险权限在安装时即被授予，不经询问（`targetSdkVersion` 低于 23）。

依据
----
`CN-REC-4.6`：不允许用户逐项授予或拒绝权限，视为未经同意收集。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import permission_evidence
from gate.core import reference
from gate.core.context import BuildContext
from gate.core.model import Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="HAR-INSTALL-TIME-GRANT",
    title="Dangerous permissions granted at install without asking",
    title_zh="安装时即授予危险权限，未征求用户同意",
    fires_when="targetSdkVersion < 23 together with dangerous permissions: all are granted at install, the user is "
               "never asked",
    references=("CN-REC-4.6",),
    default_outcome=Outcome.WARN,
    rank=20,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    manifest = ctx.manifest
    target = manifest.target_sdk
    if target >= 23:
        return
    table = reference.permissions()
    dangerous = [n for n in manifest.permission_names if n in table and table[n].protection == "dangerous"]
    if not dangerous:
        return
    yield Finding(
        rule_id=RULE.id,
        message=f"targetSdkVersion is {target} (below 23), so {len(dangerous)} dangerous permission(s) are granted "
                "at install without ever asking the user.",
        message_zh=f"`targetSdkVersion` 为 {target}（低于 23），因此 {len(dangerous)} 项危险权限在安装时即被授予，"
                   "从未征求用户同意。",
        evidence=tuple(permission_evidence(manifest, n) for n in dangerous),
    )

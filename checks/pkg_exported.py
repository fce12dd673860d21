"""Components are exported to other apps without a permission.

Counts activities, activity aliases, services, receivers and providers that other apps can start or bind:
`android:exported="true"`, or no `exported` attribute and an intent filter (providers: targetSdk 16 or
lower), and no `android:permission` (providers: no read and write permission). The launcher activity is
meant to be public and is left out.

Why it matters
--------------
An exported component is an entry point any installed app can call: unprotected ones leak data (open
providers) or let other apps trigger actions (services, receivers). It is context for the reviewer and
for dynamic testing rather than a violation by itself.

How to fix
----------
Set `android:exported="false"` on every component that other apps do not need. For those they do, require
a permission (`android:permission`, ideally with `protectionLevel="signature"`) and validate every
incoming intent.

为何重要
--------
导出组件是任何已安装应用都能调用的入口：未受保护的导出组件会泄露数据（开放的 `provider`），或让其他
应用触发操作（`service`、`receiver`）。它本身不构成违规，而是供审核人员和动态检测参考的背景信息。

如何修复
--------
对其他应用无需访问的组件，一律设置 `android:exported="false"`。对确需开放的组件，要求调用方持有权
限（`android:permission`，最好使用 `protectionLevel="signature"`），并校验每一个传入的 Intent。

References
----------
No specific clause: supporting evidence for the security review the store performs.

概述
----
组件在没有权限保护的情况下导出给其他应用。统计其他应用可以启动或绑定的界面、界面别名、服务、广播接收器和内容提供器：
设置了 `android:exported="true"`，或未设置 `exported` 属性但带有 Intent 过滤器（内容提供器：`targetSdk` 为 16 及以下
），且没有 `android:permission`（内容提供器：没有读写权限）。启动界面本应公开，不计在内。

依据
----
无具体条款：作为应用商店安全审核的辅助证据。
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PKG-EXPORTED",
    title="Exported components without a permission",
    title_zh="组件无权限保护地对外导出",
    fires_when="exported activity/service/receiver/provider without a permission, other than the launcher",
    references=(),
    default_outcome=Outcome.INFO,
    rank=100,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    manifest = ctx.manifest
    target = manifest.target_sdk
    open_components = [
        c for c in manifest.components
        if c.exported(target) and not c.guarded and not (c.kind in ("activity", "activity-alias") and c.is_launcher)
    ]
    if not open_components:
        return
    kinds = sorted({c.kind for c in open_components})
    yield Finding(
        rule_id=RULE.id,
        message=f"{len(open_components)} component(s) are exported without a permission ({', '.join(kinds)}).",
        message_zh=f"{len(open_components)} 个组件未设权限保护即被导出（{'、'.join(kinds)}）。",
        evidence=tuple(
            Evidence("manifest", c.name, c.location,
                     extra={"component": c.kind, "exported": "explicit" if c.exported_attr else "implicit"})
            for c in open_components
        ),
    )

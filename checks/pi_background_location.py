"""The app asks for location in the background (ACCESS_BACKGROUND_LOCATION).

Why it matters
--------------
Location collected while the app is not in use is among the most sensitive collection there is, and the
regulators' tests look for location read in the background or at a frequency the service does not
need. Google Play allows it only after a declaration and review.

How to fix
----------
Remove ACCESS_BACKGROUND_LOCATION unless a core feature needs location while the app is closed (for
example turn-by-turn navigation, family safety). If it does, ask for it separately, after foreground
location, with a clear explanation, and describe it in the privacy policy.

为何重要
--------
在用户未使用应用时收集位置信息是最敏感的收集行为之一，监管部门的检测会重点查找在后台读取位置信息，或
以超出服务所需的频率读取位置信息的行为。Google Play 仅在开发者提交声明并通过审核后才允许后台定位。

如何修复
--------
除非核心功能确需在应用关闭时获取位置信息（例如逐向导航、家人安全守护），否则请移
除 `ACCESS_BACKGROUND_LOCATION` 权限。如确需使用，应在获得前台定位权限之后单独申请，附上清晰的说明，并
在隐私政策中加以描述。

References
----------
GP-08: Google Play's background location policy.

概述
----
应用申请在后台获取位置信息（`ACCESS_BACKGROUND_LOCATION`）。

依据
----
`GP-08`：谷歌应用商店的后台位置信息政策。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import permission_evidence
from gate.core.context import BuildContext
from gate.core.model import Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PI-BACKGROUND-LOCATION",
    title="Location in the background",
    title_zh="后台获取位置信息",
    fires_when="ACCESS_BACKGROUND_LOCATION",
    references=("GP-08",),
    default_outcome=Outcome.WARN,
    rank=80,
)
PERMISSION = "android.permission.ACCESS_BACKGROUND_LOCATION"


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    manifest = ctx.manifest
    if PERMISSION in manifest.permission_names:
        yield Finding(
            rule_id=RULE.id,
            message="The app requests ACCESS_BACKGROUND_LOCATION: it can read the location while it is not in use.",
            message_zh="应用申请了 `ACCESS_BACKGROUND_LOCATION` 权限：可在用户未使用应用时获取位置信息（后台定位）。",
            evidence=(permission_evidence(manifest, PERMISSION),),
        )

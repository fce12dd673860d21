"""The package, or its developer, is on the store's delisted registry (regulators' takedown notices).

Operators load the notices (`gate delist add`, the operators' API, or a bulk import of a notice's list); the
finding names the notice.

Why it matters
--------------
A store must take down apps named in regulators' notices and must not list them again under the same
package or through the same developer; relisting a notified app is a platform violation in its own right.

How to fix
----------
An app on the registry cannot be listed until the store's operators remove it from the registry, after the
regulator confirms the rectification. Contact the store with the notice reference.

为何重要
--------
应用商店必须下架监管部门通报中点名的应用，且不得以同一包名或通过同一开发者再次上架；重新上架被通报的应用，
本身即构成应用分发平台的违规。

如何修复
--------
列入下架名单的应用无法上架，须待监管部门确认整改完成、应用商店运营人员将其移出下架名单后方可上架。
请持通报编号联系应用商店。

References
----------
CN-PIPL-66: penalties for processors (and platforms) that ignore the authorities' orders.
CN-164-4.2: the distribution platform does not take down apps named in notices.

概述
----
该应用或其开发者在应用商店的下架名单上（监管部门的下架通报）。运维人员录入通报（`gate delist add`、运维接口，或批量
导入通报中的名单）；发现中会注明所依据的通报。

依据
----
`CN-PIPL-66`：对无视主管部门责令的处理者（及平台）的处罚。
`CN-164-4.2`：分发平台未下架通报点名的应用。
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PLT-DELISTED",
    title="On the delisted registry",
    title_zh="已列入下架名单",
    fires_when="the package (or the developer) is on the platform's delisted/notified registry (regulator takedown "
               "notices, loaded by operators)",
    references=("CN-PIPL-66", "CN-164-4.2"),
    default_outcome=Outcome.BLOCK,
    rank=30,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    if ctx.history is None:
        return
    developer = ctx.listing.developer.id if ctx.listing and ctx.listing.developer else None
    entry = ctx.history.delisted(ctx.manifest.package, developer)
    if entry is None:
        return
    by_package = entry.get("package") == ctx.manifest.package
    who = f"package {entry['package']}" if by_package else f"developer {entry.get('developer')}"
    who_zh = f"包名 {entry['package']}" if by_package else f"开发者 {entry.get('developer')}"
    yield Finding(
        rule_id=RULE.id,
        message=f"The {who} is on the delisted registry: {entry.get('notice')}.",
        message_zh=f"{who_zh} 已列入下架名单：{entry.get('notice')}。",
        evidence=(Evidence("history", f"notice: {entry.get('notice')}", "delisted registry",
                           extra={k: v for k, v in entry.items()
                                  if k in ("package", "developer", "added_at", "source")}),),
    )

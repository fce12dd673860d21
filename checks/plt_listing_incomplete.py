"""The listing lacks the developer's name, the app's name or its app type, or the type is not a known one.

The app type must be one of the 39 types of the 2021 necessary-personal-information rules (as slugs, e.g.
`map_navigation`, `online_lending`) or `other`.

Why it matters
--------------
The store must show who is behind an app and what it is: the MIIT notices name platforms that do not show
app information, and the app-store audit standard lists the developer and the app's basic information as
what a store verifies before listing. The app type decides which personal information is necessary, so
later rules need it.

How to fix
----------
Fill in the developer's verified name, the app's name and its type in the listing. Choose the type whose
basic function matches the app (or `other` when none does).

为何重要
--------
应用商店必须展示应用背后的开发者及应用的基本情况：工信部通报点名了未清晰展示应用信息的应用分发平台，
应用商店审核标准也把开发者和应用的基本信息列为上架前须核验的内容。应用类型决定哪些个人信息属于必要个人信息，
后续规则需要用到它。

如何修复
--------
在上架信息中填写经核验的开发者名称、应用名称和应用类型。选择基本功能与应用相符的类型（都不相符时选 `other`）。

References
----------
CN-164-4.1: the distribution platform does not show the app's information clearly.
CN-STD-43739-6.2: the app-store audit standard's checks of developer and app information.

概述
----
上架信息缺少开发者名称、应用名称或应用类型，或应用类型不是已知类型。应用类型必须是 2021 年必要个人信息规定中的 39 类
之一（以标识表示，如 `map_navigation`、`online_lending`），或 `other`。

依据
----
`CN-164-4.1`：分发平台未清楚展示应用信息。
`CN-STD-43739-6.2`：应用商店审核标准中对开发者和应用信息的核查。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import listing_missing
from gate.core import reference
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PLT-LISTING-INCOMPLETE",
    title="Listing information incomplete",
    title_zh="上架信息不完整",
    fires_when="listing lacks developer name, app name or app type, or the type is not one of the 39 slugs / `other`",
    references=("CN-164-4.1", "CN-STD-43739-6.2"),
    default_outcome=Outcome.BLOCK,
    rank=20,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    listing = ctx.listing
    if listing is None:
        yield listing_missing(RULE.id, "the developer, the app name and the app type",
                              "开发者名称、应用名称和应用类型")
        return
    missing = []
    missing_zh = []
    if not (listing.developer and (listing.developer.name or "").strip()):
        missing.append(Evidence("listing", "developer name missing", "listing.developer.name"))
        missing_zh.append("缺少开发者名称")
    if not (listing.app_name or "").strip():
        missing.append(Evidence("listing", "app name missing", "listing.app_name"))
        missing_zh.append("缺少应用名称")
    category = (listing.category or "").strip()
    if not category:
        missing.append(Evidence("listing", "app type missing", "listing.category"))
        missing_zh.append("缺少应用类型")
    elif category not in reference.app_types():
        missing.append(Evidence("listing", f"unknown app type {category!r}", "listing.category"))
        missing_zh.append(f"应用类型“{category}”不是已知类型")
    if missing:
        yield Finding(
            rule_id=RULE.id,
            message="The listing is incomplete: " + "; ".join(e.value for e in missing) + ".",
            message_zh="上架信息不完整：" + "；".join(missing_zh) + "。",
            evidence=tuple(missing),
        )

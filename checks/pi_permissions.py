"""Permission inventory: every permission the app requests, with its protection level and data category.

Permissions declared with the prefixed `<android:uses-permission>` element count too (Android installs
them like any other); tools that only read `<uses-permission>` miss them.

Why it matters
--------------
The store must show users which permissions an app uses and why. The inventory ties each permission to
the category of personal information it opens (location, contacts, device identifiers, ...), which the
privacy policy and the app type are later checked against.

How to fix
----------
Nothing to fix by itself. Remove permissions no feature needs, and explain in the privacy policy why each
dangerous one is requested.

为何重要
--------
应用商店须向用户展示应用使用了哪些权限及其用途。权限清单将每项权限与其涉及的个人信息类别（位置信息、
通讯录、设备标识符等）对应起来，后续规则据此与隐私政策和应用类型进行比对。

如何修复
--------
本项本身无需整改。请移除没有功能需要的权限，并在隐私政策中说明申请每项危险权限的原因。

References
----------
CN-164-4.1: the store must show the app's permissions and their purposes on the listing.

概述
----
权限清单：应用申请的每项权限，及其保护级别和数据类别。以带前缀的 `<android:uses-permission>` 元素声明的权限同样计入
（Android 会照常安装）；只读取 `<uses-permission>` 的工具会漏掉它们。

依据
----
`CN-164-4.1`：应用商店须在上架页面展示应用的权限及其用途。
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from checks._base import categories_zh, permission_evidence
from gate.core import reference
from gate.core.context import BuildContext
from gate.core.labels import PROTECTION_ZH
from gate.core.model import Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PI-PERMISSIONS",
    title="Permission inventory",
    title_zh="权限清单",
    fires_when="always, when the manifest is readable: every requested permission with its protection level and data "
               "category (permissions.json)",
    references=("CN-164-4.1",),
    default_outcome=Outcome.INFO,
    added=True,
    rank=110,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    manifest = ctx.manifest
    names = manifest.permission_names
    if not names:
        return
    table = reference.permissions()
    levels = Counter(table[n].protection if n in table else "unknown" for n in names)
    categories = sorted({c for n in names if n in table and (c := table[n].data_category)})
    summary = ", ".join(f"{count} {level}" for level, count in sorted(levels.items()))
    summary_zh = "、".join(f"{PROTECTION_ZH.get(level, level)} {count} 项" for level, count in sorted(levels.items()))
    message = f"The app requests {len(names)} permission(s): {summary}."
    message_zh = f"应用申请了 {len(names)} 项权限：{summary_zh}。"
    if categories:
        message += f" Data categories: {', '.join(categories)}."
        message_zh += f"涉及的数据类别：{categories_zh(categories)}。"
    yield Finding(
        rule_id=RULE.id,
        message=message,
        message_zh=message_zh,
        evidence=tuple(permission_evidence(manifest, n) for n in names),
    )

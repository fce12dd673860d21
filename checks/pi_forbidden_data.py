"""The app or its SDKs can collect device data that the store's policy forbids for the app's declared type.

These are the over-collection pairs regulators cite again and again: utilities (a flashlight, a calculator)
reading location, contacts, SMS, call logs or device IDs; lending apps reading contacts, call logs or SMS
(used to harass borrowers' friends); input methods reading contacts, SMS, call logs or location. The pairs
come from the gate's app-type table (`forbidden_device_data`).

Why it matters
--------------
For these types the data has no use but abuse: regulators have taken such apps down and named the stores
that listed them. The evidence names the data, where it is collected and the declared type.

How to fix
----------
Remove the permissions and the code (or SDK) that collect the named data. If the app really is of another
type, correct the listing's type.

为何重要
--------
对这些应用类型而言，这些数据除被滥用外别无用途：监管部门曾下架此类应用，并通报上架这些应用的应用商
店。证据中列出了相关数据、收集位置和申报的应用类型。

如何修复
--------
移除收集所列数据的权限和代码（或第三方 SDK）。如果应用实际属于其他类型，请在上架信息中更正应用类型。

References
----------
TS-16: technical signal of data categories that do not fit the app type.
CN-164-1.2: collecting personal information beyond the scope of the service (超范围收集).

概述
----
应用或其 SDK 能够收集应用商店策略对该应用类型所禁止的设备数据。这些是监管部门反复通报的超范围收集组合：工具类应用（
手电筒、计算器）读取位置、通讯录、短信、通话记录或设备标识；借贷类应用读取通讯录、通话记录或短信（被用来骚扰借款人的
亲友）；输入法读取通讯录、短信、通话记录或位置。组合来自审核系统的应用类型表（`forbidden_device_data`）。

依据
----
`TS-16`：数据类别与应用类型不符的技术特征。
`CN-164-1.2`：超出服务范围收集个人信息（超范围收集）。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import app_type_known, capped, categories_zh, category_evidence, collected, listing_missing
from gate.core import reference
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PI-FORBIDDEN-DATA",
    title="Data forbidden for the app type",
    title_zh="该类型应用不得收集的个人信息",
    fires_when="a data category listed in the app type's `forbidden_device_data` (the regulator-cited over-collection"
               " pairs: utilities with location/contacts/SMS/call log/device ids, lending apps with contacts/call "
               "log/SMS, input methods with contacts/SMS/call log/location)",
    references=("TS-16", "CN-164-1.2"),
    default_outcome=Outcome.BLOCK,
    rank=40,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    if ctx.listing is None:
        yield listing_missing(RULE.id, "whether the data collected is forbidden for the app type",
                              "所收集的数据是否属于该应用类型禁止收集的范围")
        return
    slug = app_type_known(ctx)
    if slug is None:
        return
    app_type = reference.app_types()[slug]
    forbidden = set(app_type.forbidden_device_data)
    found = collected(ctx)
    hits = sorted(c for c in found if c in forbidden)
    if not hits:
        return
    evidence: list[Evidence] = [Evidence("listing", f"app type {slug} ({app_type.zh}): forbidden "
                                         + ", ".join(sorted(forbidden)), "listing.category")]
    evidence += category_evidence(found, hits)
    yield Finding(
        rule_id=RULE.id,
        message=f"A {app_type.en} app ({app_type.zh}) must not collect {', '.join(hits)}, and this one can.",
        message_zh=f"{app_type.zh}应用不得收集{categories_zh(hits)}，而本应用或其第三方 SDK 能够收集。",
        evidence=(evidence[0], *capped(evidence[1:], "items")),
    )

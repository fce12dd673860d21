"""The app or its SDKs can collect device data that is not necessary personal information for the app's
declared type.

The 2021 rules on necessary personal information list, for 39 common app types, the personal information
without which the basic function cannot work (a map needs location; a news app needs none). Each device
data category the app can collect (a permission or a call site) that its type's list does not contain is
reported, with the evidence and the type. Apps of type `other` have no list and are not judged here.

Why it matters
--------------
Apps must not refuse their basic function to users who decline non-necessary personal information, and
collecting beyond the necessary scope is the most common finding of the regulators' tests. Data outside the
list may be collected for extended functions only with separate consent.

How to fix
----------
Remove the permissions and SDK features that collect the named data, or make them part of an optional
feature that asks for consent separately and that the user can decline while still using the basic
function. Check that the declared app type is right.

为何重要
--------
应用不得因用户拒绝提供非必要个人信息而拒绝其使用基本功能，而超出必要范围收集个人信息是监管检测中最常
见的问题。必要个人信息范围以外的数据，只能为扩展功能、在取得用户单独同意后收集。

如何修复
--------
移除收集所列数据的权限和 SDK 功能，或将其纳入可选功能：该功能单独征求用户同意，用户拒绝后仍可使用基
本功能。同时确认申报的应用类型是否正确。

References
----------
CN-NPI Art. 4: the necessary-PI rules: apps must not deny basic functions to users who refuse non-necessary PI.
CN-REC-4.1: collecting PI unrelated to the service counts as beyond necessity.
TS-16: technical signal of data categories that do not fit the app type.

概述
----
应用或其 SDK 能够收集对其声明的应用类型而言并非必要的设备数据。2021 年的《常见类型移动互联网应用程序必要个人信息范围
规定》为 39 类常见应用列出了基本功能所必需的个人信息（地图需要位置，新闻类应用无需任何个人信息）。应用能够收集、但不
在其类型清单中的每一类设备数据都会连同证据和类型一起报告。类型为 `other` 的应用没有清单，不在此判断。

依据
----
`CN-NPI` 第四条：必要个人信息规定，用户拒绝提供非必要个人信息时，应用不得拒绝其使用基本功能。
`CN-REC-4.1`：收集与服务无关的个人信息，视为超出必要范围。
`TS-16`：数据类别与应用类型不符的技术特征。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import (
    app_type_known,
    capped,
    categories_zh,
    category_evidence,
    collected,
    listing_missing,
    necessary_for,
)
from gate.core import reference
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PI-UNNECESSARY-DATA",
    title="Data not necessary for the app type",
    title_zh="超出应用类型必要范围的个人信息",
    fires_when="a device data category is collected that is not necessary PI for the declared app type "
               "(categories.json `necessary`)",
    references=("CN-NPI Art. 4", "CN-REC-4.1", "TS-16"),
    default_outcome=Outcome.WARN,
    rank=30,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    if ctx.listing is None:
        yield listing_missing(RULE.id, "whether the data collected is necessary for the app type",
                              "所收集的数据对该应用类型是否必要")
        return
    slug = app_type_known(ctx)
    if slug is None:
        return  # no or unknown type: PLT-LISTING-INCOMPLETE says so
    necessary = necessary_for(slug)
    if necessary is None:
        return
    forbidden = set(reference.app_types()[slug].forbidden_device_data)
    found = collected(ctx)
    extra = sorted(c for c in found if c not in necessary and c not in forbidden)  # forbidden: PI-FORBIDDEN-DATA
    if not extra:
        return
    app_type = reference.app_types()[slug]
    evidence: list[Evidence] = [Evidence("listing", f"app type {slug} ({app_type.zh}): necessary "
                                         + (", ".join(sorted(necessary)) or "nothing"), "listing.category")]
    evidence += category_evidence(found, extra)
    yield Finding(
        rule_id=RULE.id,
        message=f"The app can collect {', '.join(extra)}, which is not necessary for a {app_type.en} app "
                f"({app_type.zh}); its basic function needs "
                + (", ".join(sorted(necessary)) if necessary else "no personal information") + ".",
        message_zh=f"本应用能够收集{categories_zh(extra)}，但对{app_type.zh}应用而言不属于必要个人信息；"
                   + (f"该类应用基本功能所需的必要个人信息为{categories_zh(sorted(necessary))}。" if necessary
                      else "该类应用的基本功能无需任何个人信息。"),
        evidence=(evidence[0], *capped(evidence[1:], "items")),
    )

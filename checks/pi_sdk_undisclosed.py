"""A third-party SDK is in the app but neither the privacy policy nor the declared SDK list names it.

An SDK counts as disclosed when the policy text or the listing's third-party SDK list (第三方SDK目录) names
it: by its Chinese or English name, by its vendor, by a brand word of its name (友盟, JPush, Bugly) or by
its package. Packers are not data-collecting SDKs and are left to PKG-PACKED.

Why it matters
--------------
Apps answer for the SDKs they embed: they must tell users which third parties receive their personal
information, for what, and link each SDK's own policy. Undisclosed SDKs are how most "SDK collects device
IDs" cases reach the regulators' notices.

How to fix
----------
Add each SDK named in the finding to the app's third-party SDK list and to the privacy policy: SDK and
vendor name, purpose, personal information collected, and a link to the vendor's privacy policy. Remove
SDKs the app does not use.

为何重要
--------
应用须对其嵌入的第三方 SDK 负责：须告知用户哪些第三方会获取其个人信息、用于何种目的，并提供各 SDK 隐
私政策的链接。监管通报中大多数“SDK 收集设备标识符”的案例，都源于未披露的第三方 SDK。

如何修复
--------
将本项列出的每个 SDK 补充到应用的第三方 SDK 目录和隐私政策中：SDK 名称及提供方名称、用途、收集的个人
信息，以及提供方隐私政策的链接。移除应用未使用的 SDK。

References
----------
CN-REC-2.1: the policy does not state the purpose, method and scope of collection (including by third parties).
CN-PIPL-23: providing personal information to another processor requires informing the user.
CN-STD-41391-6.6: GB/T 41391-2022 on disclosing third-party SDKs.

概述
----
应用中含有第三方 SDK，但隐私政策和声明的 SDK 目录都没有提到它。隐私政策正文或上架信息中的第三方 SDK 目录提到该 SDK
的中文或英文名称、提供方、名称中的品牌词（友盟、极光、腾讯 Bugly）或包名，即视为已披露。加固工具不是收集数据的 SDK，
交由 `PKG-PACKED` 处理。

依据
----
`CN-REC-2.1`：隐私政策未说明收集的目的、方式和范围（包括第三方收集）。
`CN-PIPL-23`：向其他个人信息处理者提供个人信息须告知用户。
`CN-STD-41391-6.6`：《GB/T 41391-2022》关于披露第三方 SDK 的要求。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import listing_missing
from checks._policy_text import sdk_disclosed
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PI-SDK-UNDISCLOSED",
    title="Third-party SDK not named in the privacy policy",
    title_zh="隐私政策未披露的第三方 SDK",
    fires_when="a third-party SDK is present that the privacy policy does not name (by name, vendor or package)",
    references=("CN-REC-2.1", "CN-PIPL-23", "CN-STD-41391-6.6"),
    default_outcome=Outcome.WARN,
    rank=90,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    inventory = [d for d in ctx.sdk_inventory if d.sdk.kind != "packer"]
    if not inventory:
        return
    if ctx.listing is None:
        yield listing_missing(RULE.id, "whether the third-party SDKs are disclosed", "第三方 SDK 是否已披露")
        return
    text = (ctx.listing.privacy_policy.text or "") if ctx.listing.privacy_policy else ""
    missing = [d for d in inventory if sdk_disclosed(d.sdk, text, ctx.listing.sdk_list) is None]
    if not missing:
        return
    yield Finding(
        rule_id=RULE.id,
        message=f"{len(missing)} third-party SDK(s) are not named in the privacy policy or the SDK list: "
                + ", ".join(f"{d.sdk.name_en} ({d.sdk.vendor_en})" for d in missing) + ".",
        message_zh=f"{len(missing)} 个第三方 SDK 未在隐私政策或第三方 SDK 目录中列明："
                   + "；".join(f"{d.sdk.name_zh}，提供方为{d.sdk.vendor_zh}" for d in missing) + "。",
        evidence=tuple(
            Evidence("sdk", f"{d.sdk.name_en} / {d.sdk.name_zh} ({d.sdk.vendor_zh})", d.evidence[0].get("location"),
                     sdk=d.sdk.id, extra={"data_collected": list(d.sdk.data_collected)})
            for d in missing
        ),
    )

"""The app or an SDK in it can collect a data category that the privacy policy does not mention.

Each device data category the app can collect (a permission, or a call site in the app's or an SDK's
code) is looked up in the policy text with Chinese and English wording (位置/定位/location,
通讯录/联系人/contacts, 设备标识/IMEI/Android ID, 应用列表/已安装应用, 剪切板/剪贴板, ...). A sentence that
denies the data ("我们不会收集IMEI") does not disclose it; such a denial is named in the evidence, since the
code says otherwise.

Why it matters
--------------
The rules for collecting personal information must be made public: a policy that is silent on data the app
collects, or that denies it, is the identification method's case of collecting without stating the purpose,
method and scope. Regulators compare what an app collects with what its policy says.

How to fix
----------
Describe in the privacy policy each category named in the finding: what is collected, for which function,
by the app or by which SDK, and when (before or after consent). If the data is not needed, remove the
permission or the SDK feature instead. Keep the policy in sync with every release.

为何重要
--------
收集使用个人信息的规则必须公开：隐私政策对应用实际收集的数据只字未提，或声称不收集，属于《App违法违
规收集使用个人信息行为认定方法》中未明示收集使用个人信息的目的、方式和范围的情形。监管部门会比对应用
实际收集的数据与其隐私政策的表述。

如何修复
--------
在隐私政策中逐项说明本项列出的每个类别：收集哪些信息、用于哪项功能、由应用自身还是由哪个第三
方 SDK 收集，以及何时收集（用户同意前还是同意后）。如不需要这些数据，请改为移除相应的权限或 SDK 功
能。每次发布新版本时都应同步更新隐私政策。

References
----------
CN-REC-2.1: the policy does not list the purpose, method and scope of collection.
CN-REC-3.9: the actual collection does not match the policy.

概述
----
应用或其中的 SDK 能够收集隐私政策未提及的数据类别。应用能够收集的每一类设备数据（通过权限，或应用及 SDK 代码中的调用
），都用中文和英文措辞在隐私政策正文中查找（位置/定位、通讯录/联系人、设备标识/IMEI、应用列表/已安装应用、剪切板/剪
贴板等）。否认收集的语句（如“我们不会收集IMEI”）不算披露；由于代码表明并非如此，此类否认会列入证据。

依据
----
`CN-REC-2.1`：隐私政策未列明收集的目的、方式和范围。
`CN-REC-3.9`：实际收集的个人信息与隐私政策不符。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import capped, categories_zh, collected, listing_missing
from checks._policy_text import category_disclosure
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PI-UNDISCLOSED-DATA",
    title="Data collected that the privacy policy does not mention",
    title_zh="隐私政策未说明的个人信息收集",
    fires_when="the app or an SDK in it can collect a data category (permission or API evidence) that the "
               "privacy-policy text does not mention (Chinese and English wording per category)",
    references=("CN-REC-2.1", "CN-REC-3.9"),
    default_outcome=Outcome.WARN,
    rank=20,
)

def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    if ctx.listing is None:
        yield listing_missing(RULE.id, "whether the privacy policy discloses the data collected",
                              "隐私政策是否披露了所收集的数据")
        return
    text = (ctx.listing.privacy_policy.text or "") if ctx.listing.privacy_policy else ""
    if not text.strip():
        return  # no policy at all: PI-NO-POLICY
    found = collected(ctx)
    undisclosed: list[str] = []
    evidence: list[Evidence] = []
    for category in sorted(found):
        disclosed, mentions = category_disclosure(text, category)
        if disclosed:
            continue
        undisclosed.append(category)
        denials = [m for m in mentions if m.denied]
        if denials:
            evidence.append(Evidence("listing", f"the policy denies {category}: \u201c{denials[0].sentence}\u201d",
                                     "listing.privacy_policy.text", extra={"category": category}))
        else:
            evidence.append(Evidence("listing", f"the policy does not mention {category}",
                                     "listing.privacy_policy.text", extra={"category": category}))
        evidence += [Evidence(e.kind, e.value, e.location, e.sdk, {**e.extra, "category": category})
                     for e in found[category][:8]]
    if undisclosed:
        yield Finding(
            rule_id=RULE.id,
            message=f"The privacy policy does not disclose {', '.join(undisclosed)}, which the app or its SDKs "
                    "can collect.",
            message_zh=f"隐私政策未披露{categories_zh(undisclosed)}，而本应用或其第三方 SDK 能够收集。",
            evidence=capped(evidence, "items"),
        )

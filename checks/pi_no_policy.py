"""The listing carries no privacy policy, or its text is empty.

The store fetches the policy the developer links to and sends its text with the listing; the gate reads
that text (later rules compare it with what the app collects). A URL with no text means the store could
not fetch it, which counts as no policy.

Why it matters
--------------
An app that collects personal information without a privacy policy, or whose policy cannot be read, is the
first item of the identification method: the rules for collection are not made public. The
Personal Information Protection Law requires clear, complete notice before processing.

How to fix
----------
Publish a privacy policy in Simplified Chinese that states what personal information the app and each
embedded SDK collect, why, how long it is kept and how users exercise their rights. Link it in the listing
(and show it in the app at first launch), and make sure the URL is reachable by the store.

为何重要
--------
收集个人信息却没有隐私政策，或隐私政策无法读取，属于《App违法违规收集使用个人信息行为认定方法》的第
一项情形：未公开收集使用规则。《个人信息保护法》要求在处理个人信息前以清晰、完整的方式告知用户。

如何修复
--------
发布简体中文的隐私政策，说明应用及其嵌入的每个第三方 SDK 收集哪些个人信息、收集目的、保存期限，以及
用户如何行使其权利。在上架信息中提供隐私政策链接（并在应用首次启动时展示隐私政策），确保应用商店能够
访问该链接。

References
----------
CN-REC-1.1: no privacy policy, or the policy has no rules for collecting and using personal information.
CN-PIPL-17: the notice duties of a personal information processor.

概述
----
上架信息中没有隐私政策，或隐私政策正文为空。应用商店获取开发者链接的隐私政策，并将其正文随上架信息一并发送；审核系统
读取该正文（后续规则会将其与应用实际收集的信息进行比对）。只有网址而没有正文，说明应用商店无法获取，视同没有隐私政策
。

依据
----
`CN-REC-1.1`：没有隐私政策，或隐私政策中没有收集使用个人信息的规则。
`CN-PIPL-17`：个人信息处理者的告知义务。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import listing_missing
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PI-NO-POLICY",
    title="No privacy policy",
    title_zh="缺少隐私政策",
    fires_when="the listing carries no privacy policy (neither text nor URL), or its text is empty",
    references=("CN-REC-1.1", "CN-PIPL-17"),
    default_outcome=Outcome.BLOCK,
    rank=10,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    if ctx.listing is None:
        yield listing_missing(RULE.id, "the privacy policy", "隐私政策")
        return
    policy = ctx.listing.privacy_policy
    url = (policy.url or "").strip() if policy else ""
    text = (policy.text or "").strip() if policy else ""
    if text:
        return
    if url:
        message = (f"The listing links a privacy policy ({url}) but carries no text of it: the store could not "
                   "read the policy.")
        message_zh = f"上架信息链接了隐私政策（{url}），但未附其正文：应用商店无法读取该隐私政策。"
    elif policy is not None:
        message = "The listing's privacy policy is empty: it has neither text nor URL."
        message_zh = "上架信息中的隐私政策为空：既没有正文，也没有链接。"
    else:
        message = "The listing carries no privacy policy."
        message_zh = "上架信息中没有隐私政策。"
    yield Finding(
        rule_id=RULE.id,
        message=message,
        message_zh=message_zh,
        evidence=(Evidence("listing", url or "(none)", "listing.privacy_policy"),),
    )

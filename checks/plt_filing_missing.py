"""The listing has no APP filing number (APP备案号), or one that is not of the filing-number form.

An APP filing number has the form `<province>ICP备<digits>号-<n>A`, for example
`粤ICP备2021012345号-3A`: the province's one-character abbreviation, `ICP备`, the operator's filing
number, `号`, then the service's sequence number followed by `A` for an app. A website filing (without
the `A`) or a telecom licence number (`ICP证`) is not an app filing.

Why it matters
--------------
Since the 2023 APP filing notice, apps that provide internet information services in China must be
filed, and distribution platforms must not distribute unfiled apps. The filing number must be shown on
the listing.

How to fix
----------
File the app through your network access provider or the distribution platform in the national ICP
filing system (with the package name and signing certificate), then enter the number exactly as issued,
e.g. `粤ICP备2021012345号-3A`.

为何重要
--------
自 2023 年 APP 备案通知发布起，在中国境内提供互联网信息服务的 APP 须履行备案手续，应用分发平台不得分发
未备案的 APP。APP 备案号须在上架信息中展示。

如何修复
--------
通过网络接入服务提供者或应用分发平台，在工信部 ICP 备案管理系统中为应用办理备案（需提供包名和签名证书），
然后按下发的原样填写备案号，例如 `粤ICP备2021012345号-3A`。

References
----------
CN-FILING-1: APP filing duty; platforms must not distribute unfiled apps.
CN-FILING-2: the filing number is shown on the listing.

概述
----
上架信息中没有 APP 备案号，或备案号格式不符。APP 备案号的格式为 `<省份>ICP备<数字>号-<序号>A`，例如 `粤ICP备
2021012345号-3A`：省份的单字简称、`ICP备`、主体备案号、`号`，再加服务序号和表示应用的 `A`。网站备案号（不带 `A`）或
电信业务经营许可证号（`ICP证`）都不是 APP 备案号。

依据
----
`CN-FILING-1`：APP 备案义务；平台不得分发未备案的应用。
`CN-FILING-2`：上架页面须展示备案号。
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks._base import listing_missing
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PLT-FILING-MISSING",
    title="APP filing number missing or malformed",
    title_zh="缺少或格式不正确的 APP 备案号",
    fires_when="no APP filing number (APP备案号) in the listing, or one that is not of the filing-number form (e.g. "
               "`粤ICP备2021012345号-3A`)",
    references=("CN-FILING-1", "CN-FILING-2"),
    default_outcome=Outcome.BLOCK,
    rank=10,
)

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
APP_FILING = re.compile(rf"^[{PROVINCES}]ICP备\d{{8,10}}号-\d{{1,3}}A$")
WEBSITE_FILING = re.compile(rf"^[{PROVINCES}]ICP备\d{{8,10}}号(-\d{{1,3}})?$")


def normalise(number: str) -> str:
    """Drop spaces and use ASCII hyphens and upper case, as people type the number in many ways."""
    text = re.sub(r"\s+", "", number)
    return text.replace("－", "-").replace("—", "-").replace("–", "-").upper()


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    if ctx.listing is None:
        yield listing_missing(RULE.id, "the APP filing number", "APP 备案号")
        return
    raw = ctx.listing.filing_number
    if raw is None or not raw.strip():
        yield Finding(
            rule_id=RULE.id,
            message="The listing has no APP filing number (APP备案号).",
            message_zh="上架信息中没有 APP 备案号。",
            evidence=(Evidence("listing", "(none)", "listing.filing_number"),),
        )
        return
    number = normalise(raw)
    if APP_FILING.match(number):
        return
    if WEBSITE_FILING.match(number):
        why = "it is a website filing number; an app's filing number ends in 'A' (e.g. 粤ICP备2021012345号-3A)"
        why_zh = "这是网站备案号，APP 备案号以“A”结尾（例如 粤ICP备2021012345号-3A）"
    elif "ICP证" in number:
        why = "it is a telecom business licence (ICP证), not an APP filing number"
        why_zh = "这是增值电信业务经营许可证号（ICP证），不是 APP 备案号"
    else:
        why = "it is not of the form <province>ICP备<digits>号-<n>A (e.g. 粤ICP备2021012345号-3A)"
        why_zh = "格式不符合“<省份简称>ICP备<数字>号-<序号>A”（例如 粤ICP备2021012345号-3A）"
    yield Finding(
        rule_id=RULE.id,
        message=f"The listing's APP filing number {raw!r} is not valid: {why}.",
        message_zh=f"上架信息中的 APP 备案号“{raw}”无效：{why_zh}。",
        evidence=(Evidence("listing", raw, "listing.filing_number"),),
    )

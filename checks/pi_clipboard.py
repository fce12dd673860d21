"""The app or an SDK in it reads the clipboard.

Why it matters
--------------
The clipboard holds whatever the user copied last (passwords, addresses, messages). Reading it in the
background or on launch, without the user pasting, is a personal-information violation MIIT has named, and
Android 12 and later show a toast each time it happens.

How to fix
----------
Read the clipboard only when the user pastes (in response to a paste action), never on start-up or in
SDK initialisation. Check SDKs that read it for "smart links" or invitation codes (share and deep-link SDKs)
and switch that off, or disclose it.

为何重要
--------
剪切板中保存着用户最近复制的内容（密码、地址、消息等）。在用户未执行粘贴操作时于后台或应用启动时读取
剪切板，属于工信部通报过的侵害个人信息行为；Android 12 及以上版本每次读取剪切板时都会弹出提示。

如何修复
--------
仅在用户粘贴时（响应粘贴操作）读取剪切板，切勿在应用启动或第三方 SDK 初始化时读取。排查为实现“智能链
接”或邀请码而读取剪切板的第三方 SDK（分享类和深度链接类 SDK），关闭该功能，或在隐私政策中予以披露。

References
----------
CN-164-1.1: collecting personal information without consent (clipboard reads named in MIIT notices).

概述
----
应用或其中的 SDK 读取剪切板。

依据
----
`CN-164-1.1`：未经同意收集个人信息（工信部通报中点名的读取剪切板行为）。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import call_site_finding
from gate.core.context import BuildContext
from gate.core.model import Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PI-CLIPBOARD",
    title="Reads the clipboard",
    title_zh="读取剪切板",
    fires_when="reads the clipboard",
    references=("CN-164-1.1",),
    default_outcome=Outcome.WARN,
    rank=70,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    finding = call_site_finding(ctx, RULE.id, "clipboard", "read the clipboard", "读取剪切板")
    if finding:
        yield finding

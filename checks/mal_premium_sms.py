"""Text messages sent without a user's action: from receivers, services, start-up, timers, or to numbers in code.

The rule combines three kinds of evidence, as Quark-Engine's staged rules do: the app holds `SEND_SMS`,
its code calls `SmsManager.sendTextMessage`, `sendMultipartTextMessage` or `sendDataMessage`, and that call
is reached from code Android runs on its own (a `BroadcastReceiver.onReceive`, a service or job, the
`Application`'s start-up, a `TimerTask`), or the method that sends loads a phone number or short code as a
constant (the destination is decided by the developer, not typed by the user). An SMS client that sends
when the user taps "send" in an activity matches neither and stays quiet.

Why it matters
--------------
Premium-rate SMS trojans subscribe the victim to paid services by texting short codes (`1065…`, `1066…`)
in the background, often at boot or on a timer, and delete the confirmations. CNCERT names this
behaviour 恶意扣费 (malicious charges) and 资费消耗 (fee consumption); a store that coordinates with CNCERT
is expected to keep such programs off its shelves. Sending an SMS nobody typed has no honest use in an
app distributed to consumers.

How to fix
----------
Send SMS only from the user's own action (a send button in an activity), to a number the user entered or
confirmed, and show the text and the cost before sending. For verification codes, receive SMS with the
`SMS Retriever` 接口 instead of sending. Remove `SEND_SMS` if the app does not need it.

为何重要
--------
恶意扣费类木马在后台（开机、定时任务中）向 `1065…`、`1066…` 等短号码发送短信，为用户订购收费业务，并删除
确认短信。国家互联网应急中心（CNCERT）将此类行为归为“恶意扣费”和“资费消耗”；应用分发平台须配合将此类
程序下架，不得上架。未经用户输入而发送短信，在面向公众分发的应用中没有正当用途。

如何修复
--------
仅在用户主动操作（界面中的“发送”按钮）时发送短信，收件号码须由用户输入或确认，并在发送前展示内容与资费。
验证码场景请使用 `SMS Retriever` 接口 接收短信，而不是发送短信。如无需要，请删除 `SEND_SMS` 权限。

References
----------
CNCERT-8: CNCERT's eight malicious behaviours; this rule covers 恶意扣费 and 资费消耗, and the platform's
duty to keep such programs off its shelves.

概述
----
在用户没有操作的情况下发送短信：由广播接收器、服务、应用启动或定时器发出，或发往代码中写定的号码。应用持有
`SEND_SMS` 权限，代码调用 `SmsManager.sendTextMessage`、`sendMultipartTextMessage` 或 `sendDataMessage`，且该调用可
从系统自动运行的代码到达，或发送短信的方法以常量载入电话号码或短号码（目的号码由开发者决定，而非用户输入）。用户在界
面中点击“发送”的短信客户端不会触发本规则。

依据
----
`CNCERT-8`：国家互联网应急中心（CNCERT）定义的八类恶意行为；本规则对应恶意扣费和资费消耗，以及平台不得上架此类程序的
责任。
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks._base import ENTRY_KIND_ZH, MAX_EVIDENCE, background_entries, chain_evidence, not_library, short_method
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="MAL-PREMIUM-SMS",
    title="SMS sent without a user action",
    title_zh="无用户操作即发送短信（恶意扣费）",
    fires_when="SMS sent without a user action (from receivers, services, start-up, timers), to numbers built "
               "in code, or a silent subscription or payment (恶意扣费, 资费消耗)",
    references=("CNCERT-8",),
    default_outcome=Outcome.BLOCK,
    rank=10,
)
CNCERT = ("恶意扣费", "资费消耗")
SEND_SMS = {
    "Landroid/telephony/SmsManager;->sendTextMessage(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
    "Landroid/app/PendingIntent;Landroid/app/PendingIntent;)V": "sms_send",
    "Landroid/telephony/SmsManager;->sendMultipartTextMessage(Ljava/lang/String;Ljava/lang/String;"
    "Ljava/util/ArrayList;Ljava/util/ArrayList;Ljava/util/ArrayList;)V": "sms_send",
    "Landroid/telephony/SmsManager;->sendDataMessage(Ljava/lang/String;Ljava/lang/String;S[B"
    "Landroid/app/PendingIntent;Landroid/app/PendingIntent;)V": "sms_send",
    "Landroid/telephony/gsm/SmsManager;->sendTextMessage(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
    "Landroid/app/PendingIntent;Landroid/app/PendingIntent;)V": "sms_send",
}
# A destination written into the code: a phone number or a service short code (10086, 1065xxxx, +8613...).
NUMBER = re.compile(r"^\+?\d{5,15}$")
MAX_DEPTH = 8


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    if "android.permission.SEND_SMS" not in ctx.manifest.permission_names:
        return
    sites = not_library(ctx, ctx.code.raw_calls(SEND_SMS))
    if not sites:
        return
    evidence: list[Evidence] = []
    kinds: set[str] = set()
    entries = background_entries(ctx)
    if entries:
        chains, _ = ctx.code.reachable_calls(entries, SEND_SMS, max_depth=MAX_DEPTH)
        for chain in sorted(chains, key=lambda c: (len(c.methods), c.methods)):
            kind = entries.get(chain.methods[0], "startup")
            kinds.add(kind)
            evidence.append(chain_evidence(chain, kind, cncert=list(CNCERT)))
    for site in sites:
        numbers = [s for s in ctx.code.strings_in(site.caller) if NUMBER.match(s.strip())]
        if numbers:
            kinds.add("number")
            evidence.append(Evidence("api", f"{short_method(site.caller)} sends to {', '.join(numbers[:5])}",
                                     site.caller, extra={"api": site.api, "numbers": numbers[:20],
                                                         "cncert": list(CNCERT)}))
    if not evidence:
        return
    why = sorted(k for k in kinds if k != "number")
    parts, parts_zh = [], []
    if why:
        parts.append("from code Android runs without the user (" + ", ".join(why) + ")")
        parts_zh.append("由无需用户操作即会运行的代码（" + "、".join(ENTRY_KIND_ZH[k] for k in why) + "）发送")
    if "number" in kinds:
        parts.append("to phone numbers or short codes written into the code")
        parts_zh.append("收件号码为写死在代码中的电话号码或短号码")
    shown = evidence[:MAX_EVIDENCE]
    yield Finding(
        rule_id=RULE.id,
        message=f"The app holds SEND_SMS and sends text messages {' and '.join(parts)}: the pattern of premium-rate "
                "SMS fraud (CNCERT: 恶意扣费, 资费消耗).",
        message_zh=f"应用持有 `SEND_SMS` 权限，且短信{'，'.join(parts_zh)}：符合恶意扣费短信的特征"
                   "（CNCERT 分类：恶意扣费、资费消耗）。",
        evidence=(Evidence("permission", "android.permission.SEND_SMS", "AndroidManifest.xml <uses-permission>"),
                  *shown),
    )

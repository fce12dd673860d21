"""An SMS_RECEIVED receiver aborts the broadcast, deletes messages, or forwards their bodies.

The rule starts from the manifest: a receiver for `android.provider.Telephony.SMS_RECEIVED` (the
broadcast every app with `RECEIVE_SMS` gets, in order of priority). It then follows the code from that
receiver's `onReceive` and fires when it reaches one of three behaviours: `abortBroadcast()` (hiding the
message from the real SMS app), `ContentResolver.delete` in a method that names `content://sms` (erasing
messages), or the message body (`SmsMessage.getMessageBody`) together with a way out: another SMS, a
network connection or a socket. A verification-code reader that only reads the code into a text field
reaches none of them.

Why it matters
--------------
SMS interception steals one-time passwords and bank notifications and hides the confirmations of premium
subscriptions: the receiver suppresses or deletes the message and forwards its text to the attacker. CNCERT
classes this as 信息窃取 (information theft) and, with subscriptions, 恶意扣费; a distribution platform must
keep such programs off its shelves.

How to fix
----------
Read verification codes with the SMS Retriever or SMS User Consent API, which need no SMS permission. Never
abort the SMS broadcast, delete messages you did not write, or send message contents off the device.
If the app is an SMS client, become the default SMS app (`SMS_DELIVER`) and let the user manage messages.

为何重要
--------
短信拦截会窃取一次性验证码和银行通知，并隐藏扣费订购的确认短信：接收器拦截或删除短信，再把内容转发给攻击
者。CNCERT 将其归为“信息窃取”，涉及订购扣费时亦属“恶意扣费”；应用分发平台须将此类程序拒之门外。

如何修复
--------
请使用 `SMS Retriever` 或 `SMS User Consent` 接口 读取验证码，二者均无需短信权限。不要中止短信广播、不要删除
非本应用写入的短信、不要把短信内容发送到设备之外。若应用本身是短信客户端，请申请成为默认短信应用
（`SMS_DELIVER`），由用户自行管理短信。

References
----------
CNCERT-8: CNCERT's eight malicious behaviours; this rule covers 信息窃取 and 恶意扣费, and the platform's duty
to keep such programs off its shelves.

概述
----
接收 `SMS_RECEIVED` 广播的接收器中止广播、删除短信或转发短信内容。本规则从清单文件中接收
`android.provider.Telephony.SMS_RECEIVED` 的接收器出发，跟踪其 `onReceive` 的代码，当到达以下三种行为之一时触发：
`abortBroadcast()`（对真正的短信应用隐藏短信）、在引用 `content://sms` 的方法中调用 `ContentResolver.delete`（删除短
信），或读取短信内容（`SmsMessage.getMessageBody`）并通过短信、网络连接或套接字发出。只把验证码填入输入框的应用不会
触发。

依据
----
`CNCERT-8`：国家互联网应急中心（CNCERT）定义的八类恶意行为；本规则对应信息窃取和恶意扣费，以及平台不得上架此类程序的
责任。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import MAX_EVIDENCE, chain_evidence
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="MAL-SMS-INTERCEPT",
    title="SMS intercepted, deleted or forwarded",
    title_zh="拦截、删除或转发短信",
    fires_when="an `SMS_RECEIVED` receiver that aborts the broadcast, deletes messages or forwards their bodies "
               "(信息窃取, 恶意扣费)",
    references=("CNCERT-8",),
    default_outcome=Outcome.BLOCK,
    rank=20,
)
CNCERT = ("信息窃取", "恶意扣费")
SMS_RECEIVED = "android.provider.Telephony.SMS_RECEIVED"
ON_RECEIVE = "onReceive(Landroid/content/Context;Landroid/content/Intent;)V"
ACTIONS = {
    "Landroid/content/BroadcastReceiver;->abortBroadcast()V": "abort",
    "Landroid/content/ContentResolver;->delete(Landroid/net/Uri;Ljava/lang/String;[Ljava/lang/String;)I": "delete",
    "Landroid/telephony/SmsMessage;->getMessageBody()Ljava/lang/String;": "body",
    "Landroid/telephony/SmsMessage;->getDisplayMessageBody()Ljava/lang/String;": "body",
    "Landroid/telephony/SmsManager;->sendTextMessage(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
    "Landroid/app/PendingIntent;Landroid/app/PendingIntent;)V": "out",
    "Landroid/telephony/SmsManager;->sendMultipartTextMessage(Ljava/lang/String;Ljava/lang/String;"
    "Ljava/util/ArrayList;Ljava/util/ArrayList;Ljava/util/ArrayList;)V": "out",
    "Ljava/net/URL;->openConnection()Ljava/net/URLConnection;": "out",
    "Ljava/net/URLConnection;->getOutputStream()Ljava/io/OutputStream;": "out",
    "Ljava/net/HttpURLConnection;->getOutputStream()Ljava/io/OutputStream;": "out",
    "Ljava/net/Socket;->getOutputStream()Ljava/io/OutputStream;": "out",
    "Lokhttp3/OkHttpClient;->newCall(Lokhttp3/Request;)Lokhttp3/Call;": "out",
}
WHAT = {"abort": "aborts the broadcast", "delete": "deletes messages from content://sms",
        "forward": "reads message bodies and sends them on (SMS or network)"}
WHAT_ZH = {"abort": "中止短信广播", "delete": "从 content://sms 删除短信",
           "forward": "读取短信内容并向外发送（短信或网络）"}
MAX_DEPTH = 6


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    receivers = [c for c in ctx.manifest.components
                 if c.kind == "receiver" and any(SMS_RECEIVED in f.actions for f in c.intent_filters)]
    if not receivers:
        return
    code = ctx.code
    for receiver in receivers:
        entry = "L" + receiver.name.replace(".", "/") + ";->" + ON_RECEIVE
        chains, _ = code.reachable_calls([entry], ACTIONS, max_depth=MAX_DEPTH)
        found: dict[str, list[Evidence]] = {}
        for chain in sorted(chains, key=lambda c: (len(c.methods), c.methods)):
            kind = chain.category
            if kind == "delete" and not any(s.startswith("content://sms") for s in code.strings_in(chain.methods[-1])):
                continue
            found.setdefault(kind, []).append(chain_evidence(chain, "receiver", cncert=list(CNCERT)))
        behaviours: list[str] = [k for k in ("abort", "delete") if k in found]
        if "body" in found and "out" in found:
            behaviours.append("forward")
        if not behaviours:
            continue
        evidence = [Evidence("manifest", f"receiver {receiver.name} for {SMS_RECEIVED}", receiver.location)]
        for kind in behaviours:
            for key in (("body", "out") if kind == "forward" else (kind,)):
                evidence += found[key][:MAX_EVIDENCE // 4]
        yield Finding(
            rule_id=RULE.id,
            message=f"The SMS receiver {receiver.name} " + "; ".join(WHAT[b] for b in behaviours)
                    + " (CNCERT: 信息窃取, 恶意扣费).",
            message_zh=f"短信接收器 `{receiver.name}` " + "；".join(WHAT_ZH[b] for b in behaviours)
                       + "（CNCERT 分类：信息窃取、恶意扣费）。",
            evidence=tuple(evidence),
        )


"""Commands received from the network, SMS or push are dispatched to camera, microphone, SMS, data or a shell.

A remote-access trojan has three parts, and the rule asks for all of them on one call chain: a source of
commands (a socket or HTTP response read, an SMS body, a push message callback), a dispatcher (a method
on the chain that compares strings, `String.equals`/`startsWith`/`contains`/a string `switch`), and at
least two different sensitive actions reached from the same source: camera, microphone, sending SMS,
reading the call log or contacts, location, or `Runtime.exec`. A remote-desktop or device-management tool
that the user drives does not reach SMS, the microphone and the call log from a network read.

Why it matters
--------------
Remote control (远程控制) is one of the eight behaviours by which CNCERT classes mobile malware, usually
together with information theft (信息窃取): the phone becomes a bug the attacker steers, taking pictures,
recording sound, reading messages and contacts and running shell commands on request. A distribution
platform must keep such programs off its shelves.

How to fix
----------
Do not execute commands that arrive over the network, by SMS or by push. Features that act on the device
must start from the user's own action in the app's interface and show what they do. If the app is a
legitimate remote-management tool, it must be declared as such in the listing, enrolled through the
platform's device-management APIs, and reviewed by hand.

为何重要
--------
“远程控制”是 CNCERT 对移动恶意程序划分的八类行为之一，通常伴随“信息窃取”：手机沦为受攻击者操控的窃听器，
按指令拍照、录音、读取短信和通讯录、执行命令行命令。应用分发平台须将此类程序拒之门外。

如何修复
--------
不要执行经网络、短信或推送下发的指令。对设备进行操作的功能必须由用户在应用界面中主动发起，并明确展示其
作用。若应用确为正当的远程管理工具，须在上架信息中如实声明，使用系统的设备管理接口注册，并接受人工审核。

References
----------
CNCERT-8: CNCERT's eight malicious behaviours; this rule covers 远程控制 and 信息窃取, and the platform's duty
to keep such programs off its shelves.

概述
----
从网络、短信或推送接收的指令被分派去操作摄像头、麦克风、短信、数据或命令行。远程控制木马由三部分组成，本规则要求它们
位于同一调用链上：指令来源（读取套接字或 HTTP 响应、短信内容、推送消息回调）、分派器（调用链上比较字符串的方法）、以
及从同一来源到达的至少两种不同的敏感操作：摄像头、麦克风、发送短信、读取通话记录或通讯录、位置，或 `Runtime.exec`。
由用户操作的远程桌面或设备管理工具不会从网络读取直接到达短信、麦克风和通话记录。

依据
----
`CNCERT-8`：国家互联网应急中心（CNCERT）定义的八类恶意行为；本规则对应远程控制和信息窃取，以及平台不得上架此类程序的
责任。
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from checks._base import MAX_EVIDENCE, callbacks_of, chain_evidence, not_library, short_method
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

if TYPE_CHECKING:  # gate.core.code pulls in numpy: imported when the code is first analysed
    from gate.core.code import Chain

RULE = Rule(
    id="MAL-REMOTE-CONTROL",
    title="Remote-control channel",
    title_zh="远程控制通道",
    fires_when="commands received from the network, SMS or push dispatched to camera, microphone, SMS, call "
               "log, contacts, location, files or a shell (远程控制, 信息窃取)",
    references=("CNCERT-8",),
    default_outcome=Outcome.BLOCK,
    rank=30,
)
CNCERT = ("远程控制", "信息窃取")
SOURCES = {
    "Ljava/net/Socket;->getInputStream()Ljava/io/InputStream;": "socket",
    "Ljava/net/URLConnection;->getInputStream()Ljava/io/InputStream;": "http",
    "Ljava/net/HttpURLConnection;->getInputStream()Ljava/io/InputStream;": "http",
    "Landroid/telephony/SmsMessage;->getMessageBody()Ljava/lang/String;": "sms",
    "Landroid/telephony/SmsMessage;->getDisplayMessageBody()Ljava/lang/String;": "sms",
}
# Push callbacks: the payload arrives as the argument.
PUSH = {
    "Lcom/google/firebase/messaging/FirebaseMessagingService;":
        ("onMessageReceived(Lcom/google/firebase/messaging/RemoteMessage;)V",),
    "Lcn/jpush/android/service/JPushMessageReceiver;":
        ("onMessage(Landroid/content/Context;Lcn/jpush/android/api/CustomMessage;)V",),
}
SINKS = {
    "Landroid/hardware/Camera;->open()Landroid/hardware/Camera;": "camera",
    "Landroid/hardware/Camera;->open(I)Landroid/hardware/Camera;": "camera",
    "Landroid/hardware/Camera;->takePicture(Landroid/hardware/Camera$ShutterCallback;"
    "Landroid/hardware/Camera$PictureCallback;Landroid/hardware/Camera$PictureCallback;)V": "camera",
    "Landroid/hardware/camera2/CameraManager;->openCamera(Ljava/lang/String;"
    "Landroid/hardware/camera2/CameraDevice$StateCallback;Landroid/os/Handler;)V": "camera",
    "Landroid/media/MediaRecorder;->setAudioSource(I)V": "microphone",
    "Landroid/media/AudioRecord;->startRecording()V": "microphone",
    "Landroid/telephony/SmsManager;->sendTextMessage(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
    "Landroid/app/PendingIntent;Landroid/app/PendingIntent;)V": "sms",
    "Landroid/provider/CallLog$Calls;->CONTENT_URI:Landroid/net/Uri;": "call_log",
    "Landroid/provider/ContactsContract$Contacts;->CONTENT_URI:Landroid/net/Uri;": "contacts",
    "Landroid/provider/ContactsContract$CommonDataKinds$Phone;->CONTENT_URI:Landroid/net/Uri;": "contacts",
    "Landroid/location/LocationManager;->getLastKnownLocation(Ljava/lang/String;)Landroid/location/Location;":
        "location",
    "Landroid/location/LocationManager;->requestLocationUpdates(Ljava/lang/String;JF"
    "Landroid/location/LocationListener;)V": "location",
    "Ljava/lang/Runtime;->exec(Ljava/lang/String;)Ljava/lang/Process;": "shell",
    "Ljava/lang/Runtime;->exec([Ljava/lang/String;)Ljava/lang/Process;": "shell",
}
DISPATCH = {
    "Ljava/lang/String;->equals(Ljava/lang/Object;)Z": "",
    "Ljava/lang/String;->equalsIgnoreCase(Ljava/lang/String;)Z": "",
    "Ljava/lang/String;->startsWith(Ljava/lang/String;)Z": "",
    "Ljava/lang/String;->contains(Ljava/lang/CharSequence;)Z": "",
    "Ljava/lang/String;->hashCode()I": "",
}
ZH = {"camera": "摄像头", "microphone": "麦克风", "sms": "发送短信", "call_log": "通话记录", "contacts": "通讯录",
      "location": "位置", "shell": "命令行命令"}
MAX_DEPTH = 3  # read → dispatcher → handler → action, with one wrapper to spare


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    code = ctx.code
    sinks = not_library(ctx, code.raw_calls(SINKS))
    if len({s.category for s in sinks}) < 2:
        return
    origins: dict[str, str] = {}
    for site in not_library(ctx, code.raw_calls(SOURCES)):
        origins.setdefault(site.caller, site.category)
    for base, members in PUSH.items():
        for sig in callbacks_of(ctx, (base,), members):
            if not code.is_library(sig.split("->", 1)[0]):
                origins.setdefault(sig, "push")
    if not origins:
        return
    chains, _ = code.reachable_calls(origins, SINKS, max_depth=MAX_DEPTH)
    if not chains:
        return
    dispatchers = {s.caller for s in code.raw_calls(DISPATCH)}
    by_origin: dict[str, list[Chain]] = {}
    for chain in chains:
        # the command is compared on the way: a dispatcher on the chain, before the method that acts
        if any(m in dispatchers for m in chain.methods):
            by_origin.setdefault(chain.methods[0], []).append(chain)
    for origin, found in sorted(by_origin.items()):
        kinds = sorted({c.category for c in found})
        if len(kinds) < 2:
            continue
        source = origins[origin]
        dispatcher = next(m for c in found for m in c.methods if m in dispatchers)
        commands = [s for s in code.strings_in(dispatcher) if 0 < len(s) <= 40][:20]
        evidence = [Evidence("api", f"{short_method(origin)} receives commands ({source})", origin,
                             extra={"source": source}),
                    Evidence("api", f"{short_method(dispatcher)} compares the command", dispatcher,
                             extra={"strings": commands})]
        evidence += [chain_evidence(c, source, cncert=list(CNCERT))
                     for c in sorted(found, key=lambda c: (c.category, len(c.methods)))][:MAX_EVIDENCE]
        yield Finding(
            rule_id=RULE.id,
            message=f"Commands read by {short_method(origin)} ({source}) are compared in {short_method(dispatcher)} "
                    f"and dispatched to {', '.join(kinds)}: a remote-control channel (CNCERT: 远程控制, 信息窃取).",
            message_zh=f"`{short_method(origin)}` 接收的指令（{source}）在 `{short_method(dispatcher)}` 中比对后，"
                       f"被分派到{'、'.join(ZH[k] for k in kinds)}："
                       "构成远程控制通道（CNCERT 分类：远程控制、信息窃取）。",
            evidence=tuple(evidence),
        )

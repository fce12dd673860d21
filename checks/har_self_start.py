"""The app starts itself on system events (self-starting, 自启动).

Two parts. In the manifest: broadcast receivers registered for wake-up broadcasts such as BOOT_COMPLETED,
CONNECTIVITY_CHANGE, USER_PRESENT or PACKAGE_ADDED, which bring the app's process up without the user
opening it; each receiver is named with the actions it listens to. In the code: starting other apps'
components (关联启动): `getLaunchIntentForPackage`, or an explicit intent or `ComponentName` built for
another app's package, named with the package it targets and the SDK that does it.

Why it matters
--------------
Self-starting and "associated starting" (关联启动) without a reasonable need are named in the MIIT notices
as harassment: the app runs, collects and drains the battery when the user did not start it. SDKs for
push and analytics are frequent culprits.

How to fix
----------
Remove wake-up receivers that no user-visible feature needs. Use WorkManager for deferred work instead of
listening to connectivity or boot. If an SDK brings the receiver, disable it in your manifest
(`tools:node="remove"`) or configure the SDK not to self-start, and say in the privacy policy when and why
the app starts in the background.

为何重要
--------
无合理需要的自启动和关联启动被工信部通报列为骚扰用户的行为：用户并未打开应用，应用却在运行、收集个人信息、
消耗电量。推送和统计类第三方 SDK 是常见来源。

如何修复
--------
移除没有任何用户可见功能需要的唤醒广播接收器。延后执行的任务改用 WorkManager，不要监听网络变化或开机广播。
如果接收器来自第三方 SDK，请在自己的 manifest 中将其移除（`tools:node="remove"`），或将该 SDK 配置为不自启动；
并在隐私政策中说明应用在何时、为何在后台启动。

References
----------
CN-164-2.2: apps that start themselves or other apps without need (APP频繁自启动和关联启动).
TS-09: technical signal of wake-up receivers and cross-app starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks._base import capped
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="HAR-SELF-START",
    title="Self-starting or starting other apps",
    title_zh="自启动与关联启动",
    fires_when="receivers for wake-up broadcasts (BOOT_COMPLETED, CONNECTIVITY_CHANGE, USER_PRESENT, PACKAGE_ADDED, "
               "...) or code that starts other apps' components (关联启动)",
    references=("CN-164-2.2", "TS-09"),
    default_outcome=Outcome.WARN,
    rank=10,
)

WAKE_UP_ACTIONS = frozenset({
    "android.intent.action.BOOT_COMPLETED",
    "android.intent.action.LOCKED_BOOT_COMPLETED",
    "android.intent.action.QUICKBOOT_POWERON",
    "com.htc.intent.action.QUICKBOOT_POWERON",
    "android.intent.action.REBOOT",
    "android.net.conn.CONNECTIVITY_CHANGE",
    "android.net.wifi.WIFI_STATE_CHANGED",
    "android.net.wifi.STATE_CHANGE",
    "android.intent.action.USER_PRESENT",
    "android.intent.action.PACKAGE_ADDED",
    "android.intent.action.PACKAGE_REMOVED",
    "android.intent.action.PACKAGE_REPLACED",
    "android.intent.action.PACKAGE_CHANGED",
    "android.intent.action.ACTION_POWER_CONNECTED",
    "android.intent.action.ACTION_POWER_DISCONNECTED",
    "android.intent.action.MEDIA_MOUNTED",
    "android.intent.action.TIME_SET",
    "android.intent.action.TIMEZONE_CHANGED",
    "android.intent.action.DATE_CHANGED",
    "android.intent.action.BATTERY_CHANGED",
    "android.intent.action.BATTERY_LOW",
    "android.intent.action.BATTERY_OKAY",
    "android.intent.action.PHONE_STATE",
    "android.intent.action.NEW_OUTGOING_CALL",
    "android.provider.Telephony.SMS_RECEIVED",
    "android.bluetooth.adapter.action.STATE_CHANGED",
})


START_OTHERS = (
    "Landroid/content/pm/PackageManager;->getLaunchIntentForPackage(Ljava/lang/String;)Landroid/content/Intent;",
    "Landroid/content/Intent;->setClassName(Ljava/lang/String;Ljava/lang/String;)Landroid/content/Intent;",
    "Landroid/content/Intent;->setPackage(Ljava/lang/String;)Landroid/content/Intent;",
    "Landroid/content/ComponentName;-><init>(Ljava/lang/String;Ljava/lang/String;)V",
)
_PACKAGE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def _other_apps(ctx: BuildContext) -> list[Evidence]:
    """Code that starts another app: the call, and the foreign package names the calling method holds."""
    own = ctx.manifest.package
    evidence = []
    for caller, api in ctx.code.instructions_calling(START_OTHERS):
        kind, sdk = ctx.code.owner(caller.split("->", 1)[0])
        if kind == "library":
            continue
        targets = sorted({s for s in ctx.code.strings_in(caller)
                          if _PACKAGE.match(s) and not s.startswith(own) and not s.startswith("android.")
                          and s.count(".") <= 4})
        launcher = "getLaunchIntentForPackage" in api
        if not targets and not launcher:
            continue  # an explicit intent to the app's own components
        what = api.split("->", 1)[1].split("(", 1)[0]
        value = f"{what}({', '.join(targets)})" if targets else f"{what}(package chosen at run time)"
        evidence.append(Evidence("api", value, caller, sdk=sdk if kind == "sdk" else None,
                                 extra={"api": api, "packages": targets}))
    return evidence


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    receivers = _receivers(ctx)
    starts = _other_apps(ctx)
    parts = []
    parts_zh = []
    if receivers:
        parts.append(f"{len(receivers)} broadcast receiver(s) wake the app up on system events (boot, network, "
                     "unlock, package changes, ...)")
        parts_zh.append(f"{len(receivers)} 个广播接收器会在系统事件（开机、网络变化、解锁、应用安装变化等）时唤醒应用")
    if starts:
        parts.append(f"{len(starts)} place(s) in the code start other apps' components (关联启动)")
        parts_zh.append(f"代码中有 {len(starts)} 处启动其他应用的组件（关联启动）")
    if parts:
        yield Finding(rule_id=RULE.id, message="; ".join(parts) + ".", message_zh="；".join(parts_zh) + "。",
                      evidence=tuple(receivers) + capped(starts, "places"))


def _receivers(ctx: BuildContext) -> list[Evidence]:
    evidence = []
    for component in ctx.manifest.components:
        if component.kind != "receiver":
            continue
        actions = sorted({a for f in component.intent_filters for a in f.actions if a in WAKE_UP_ACTIONS})
        if actions:
            short = ", ".join(a.rsplit(".", 1)[1] for a in actions)
            evidence.append(Evidence("manifest", f"{component.name} listens to {short}", component.location,
                                     extra={"actions": actions}))
    return evidence

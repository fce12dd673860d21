"""The app starts itself on system events (self-starting, 自启动).

Two parts. In the manifest: broadcast receivers registered for boot (BOOT_COMPLETED and the other
``*_COMPLETED`` / power-on broadcasts) or package changes (PACKAGE_ADDED, MY_PACKAGE_REPLACED, ...) whose
code starts a service or an activity, which brings the app up without the user opening it; each receiver
is named with the actions it listens to. A receiver for connectivity or other state changes alone, or one
that starts nothing, is not self-starting. In the code: starting other apps' components (关联启动):
`getLaunchIntentForPackage`, or an explicit intent or `ComponentName` built for another app's package,
named with the packages it targets and the SDK that does it; and alarms that restart the app (an
`AlarmManager` alarm whose PendingIntent starts a service or an activity, not one that only delivers a
broadcast). Opening system Settings, a permission or
security screen, the package installer or an app store, and binding a device-id service, are not starting
another app; strings that are not package names (bundle keys such as ``google.message_id``) are not listed.

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
移除没有任何用户可见功能需要的唤醒广播接收器。延后执行的任务改用 `WorkManager`，不要监听网络变化或开机广播。
如果接收器来自第三方 SDK，请在自己的清单文件中将其移除（`tools:node="remove"`），或将该 SDK 配置为不自启动；
并在隐私政策中说明应用在何时、为何在后台启动。

References
----------
CN-164-2.2: apps that start themselves or other apps without need (APP频繁自启动和关联启动).
TS-09: technical signal of wake-up receivers and cross-app starts.

概述
----
应用在系统事件发生时自行启动（自启动），或启动其他应用的组件（关联启动）。清单文件中：为开机（`BOOT_COMPLETED` 等开
机广播）或应用变更（`PACKAGE_ADDED`、`MY_PACKAGE_REPLACED` 等）注册、且其代码会启动服务或界面的广播接收器，使应用在
用户未打开时运行；每个接收器都列出其监听的广播。代码中：通过 `getLaunchIntentForPackage`，或为其他应用的包名构造显式
Intent 或 `ComponentName` 来启动其他应用，并列出目标包名和发起调用的 SDK。打开系统设置、权限或安全界面、安装程序或应
用商店，以及绑定设备标识服务，不算启动其他应用。

依据
----
`CN-164-2.2`：APP 频繁自启动和关联启动。
`TS-09`：唤醒类广播接收器和跨应用启动的技术特征。
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
               "...), alarms that restart the app, or code that starts other apps' components (关联启动)",
    references=("CN-164-2.2", "TS-09"),
    default_outcome=Outcome.WARN,
    rank=10,
)

BOOT_ACTIONS = frozenset({
    "android.intent.action.BOOT_COMPLETED",
    "android.intent.action.LOCKED_BOOT_COMPLETED",
    "android.intent.action.QUICKBOOT_POWERON",
    "com.htc.intent.action.QUICKBOOT_POWERON",
    "android.intent.action.REBOOT",
    "android.intent.action.PACKAGE_ADDED",
    "android.intent.action.PACKAGE_REMOVED",
    "android.intent.action.PACKAGE_REPLACED",
    "android.intent.action.PACKAGE_CHANGED",
    "android.intent.action.MY_PACKAGE_REPLACED",
})
# What a receiver does to bring the app up: start a service or an activity, or enqueue work.
START_SELF = (
    "Landroid/content/Context;->startService(Landroid/content/Intent;)Landroid/content/ComponentName;",
    "Landroid/content/Context;->startForegroundService(Landroid/content/Intent;)Landroid/content/ComponentName;",
    "Landroid/content/Context;->startActivity(Landroid/content/Intent;)V",
    "Landroid/content/ContextWrapper;->startService(Landroid/content/Intent;)Landroid/content/ComponentName;",
    "Landroid/content/ContextWrapper;->startForegroundService(Landroid/content/Intent;)"
    "Landroid/content/ComponentName;",
    "Landroid/content/ContextWrapper;->startActivity(Landroid/content/Intent;)V",
    "Landroidx/core/content/ContextCompat;->startForegroundService(Landroid/content/Context;"
    "Landroid/content/Intent;)V",
    "Landroidx/core/app/JobIntentService;->enqueueWork(Landroid/content/Context;Ljava/lang/Class;I"
    "Landroid/content/Intent;)V",
)
# Packages whose screens an app opens for the user, not apps it starts: Settings, permission and security
# managers, installers, stores, and services bound for a device identifier.
NOT_STARTING = (
    "com.android.settings", "com.android.vending", "com.google.android.gms", "com.android.packageinstaller",
    "com.google.android.packageinstaller", "com.android.permissioncontroller",
    "com.google.android.permissioncontroller", "com.miui.securitycenter", "com.huawei.systemmanager",
    "com.coloros.safecenter", "com.oppo.safe", "com.iqoo.secure", "com.vivo.permissionmanager", "com.meizu.safe",
    "com.letv.android.letvsafe", "com.samsung.android.lool", "com.samsung.android.sm",
    "com.samsung.android.deviceidservice", "com.hihonor.systemmanager", "com.huawei.appmarket",
    "com.xiaomi.market", "com.heytap.market", "com.oppo.market", "com.bbk.appstore", "com.meizu.mstore",
    "com.tencent.android.qqdownloader", "com.qihoo.appstore", "com.wandoujia.phoenix2", "com.baidu.appsearch",
    "com.sec.android.app.samsungapps", "com.hihonor.appmarket", "com.android.browser", "com.android.chrome",
)
# A package name starts with a top-level domain: a generic one or a two-letter country code.
_TLDS = frozenset({"com", "org", "net", "edu", "gov", "info", "biz", "app", "dev", "mobi", "name", "pro", "xyz",
                   "top", "site", "online", "tech", "club", "vip", "ltd", "work"})


START_OTHERS = (
    "Landroid/content/pm/PackageManager;->getLaunchIntentForPackage(Ljava/lang/String;)Landroid/content/Intent;",
    "Landroid/content/Intent;->setClassName(Ljava/lang/String;Ljava/lang/String;)Landroid/content/Intent;",
    "Landroid/content/Intent;->setPackage(Ljava/lang/String;)Landroid/content/Intent;",
    "Landroid/content/ComponentName;-><init>(Ljava/lang/String;Ljava/lang/String;)V",
)
_PACKAGE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_ALARM = "Landroid/app/AlarmManager;->"
ALARM_SETS = tuple(_ALARM + m for m in (
    "set(IJLandroid/app/PendingIntent;)V", "setExact(IJLandroid/app/PendingIntent;)V",
    "setAndAllowWhileIdle(IJLandroid/app/PendingIntent;)V", "setExactAndAllowWhileIdle(IJLandroid/app/PendingIntent;)V",
    "setRepeating(IJJLandroid/app/PendingIntent;)V", "setInexactRepeating(IJJLandroid/app/PendingIntent;)V",
    "setWindow(IJJLandroid/app/PendingIntent;)V",
    "setAlarmClock(Landroid/app/AlarmManager$AlarmClockInfo;Landroid/app/PendingIntent;)V",
))
# A PendingIntent that starts a component when the alarm fires: the app comes back up. One that only delivers a
# broadcast (a reminder's receiver posting a notification) does not start the app by itself.
PENDING_STARTS = tuple("Landroid/app/PendingIntent;->" + m for m in (
    "getService(Landroid/content/Context;ILandroid/content/Intent;I)Landroid/app/PendingIntent;",
    "getForegroundService(Landroid/content/Context;ILandroid/content/Intent;I)Landroid/app/PendingIntent;",
    "getActivity(Landroid/content/Context;ILandroid/content/Intent;I)Landroid/app/PendingIntent;",
    "getActivity(Landroid/content/Context;ILandroid/content/Intent;ILandroid/os/Bundle;)Landroid/app/PendingIntent;",
))


def _alarms(ctx: BuildContext) -> list[Evidence]:
    """Methods that set an alarm whose PendingIntent starts a service or an activity: an alarm that restarts
    the app (a keep-alive), named with the alarm call and the kind of component it starts."""
    starts: dict[str, set[str]] = {}
    for caller, api in ctx.code.instructions_calling(PENDING_STARTS):
        starts.setdefault(caller, set()).add(api.split("->", 1)[1].split("(", 1)[0])
    evidence = []
    for caller, api in sorted(set(ctx.code.instructions_calling(ALARM_SETS))):
        if caller not in starts:
            continue
        kind, sdk = ctx.code.owner(caller.split("->", 1)[0])
        if kind == "library":
            continue
        alarm = api.split("->", 1)[1].split("(", 1)[0]
        pending = sorted(starts[caller])
        evidence.append(Evidence("api", f"AlarmManager.{alarm} with PendingIntent.{', '.join(pending)}", caller,
                                 sdk=sdk if kind == "sdk" else None,
                                 extra={"api": api, "alarm": alarm, "pending": pending}))
    return evidence


def _other_apps(ctx: BuildContext) -> list[Evidence]:
    """Code that starts another app: the call, and the foreign package names the calling method holds."""
    own = ctx.manifest.package
    evidence = []
    for caller, api in ctx.code.instructions_calling(START_OTHERS):
        kind, sdk = ctx.code.owner(caller.split("->", 1)[0])
        if kind == "library":
            continue
        named = {s for s in ctx.code.strings_in(caller) if _is_package(s) and s.count(".") <= 4}
        targets = sorted(s for s in named if not s.startswith(own) and not _not_starting(s))
        launcher = "getLaunchIntentForPackage" in api
        if not targets and (not launcher or named):
            continue  # the app's own components, a Settings/store/permission screen, a device-id service
        what = api.split("->", 1)[1].split("(", 1)[0]
        value = f"{what}({', '.join(targets)})" if targets else f"{what}(package chosen at run time)"
        evidence.append(Evidence("api", value, caller, sdk=sdk if kind == "sdk" else None,
                                 extra={"api": api, "packages": targets}))
    return evidence


def _is_package(text: str) -> bool:
    if not _PACKAGE.match(text) or text.startswith("android."):
        return False
    first = text.split(".", 1)[0]
    return len(first) == 2 or first in _TLDS


def _not_starting(package: str) -> bool:
    return any(package == p or package.startswith(p + ".") for p in NOT_STARTING)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    receivers = _receivers(ctx)
    starts = _other_apps(ctx)
    alarms = _alarms(ctx)
    parts = []
    parts_zh = []
    if receivers:
        parts.append(f"{len(receivers)} broadcast receiver(s) start a service or activity on boot or package "
                     "changes")
        parts_zh.append(f"{len(receivers)} 个广播接收器会在开机或应用安装变化时启动服务或界面")
    if starts:
        parts.append(f"{len(starts)} place(s) in the code start other apps' components (关联启动)")
        parts_zh.append(f"代码中有 {len(starts)} 处启动其他应用的组件（关联启动）")
    if alarms:
        parts.append(f"{len(alarms)} alarm(s) restart the app's service or activity when they fire")
        parts_zh.append(f"{len(alarms)} 处定时闹钟在触发时重新启动应用的服务或界面")
    if parts:
        yield Finding(rule_id=RULE.id, message="; ".join(parts) + ".", message_zh="；".join(parts_zh) + "。",
                      evidence=tuple(receivers) + capped(starts, "places") + capped(alarms, "alarms"))


def _receivers(ctx: BuildContext) -> list[Evidence]:
    wanted = [c for c in ctx.manifest.components if c.kind == "receiver"
              and any(_is_boot(a) for f in c.intent_filters for a in f.actions)]
    if not wanted:
        return []
    starters: dict[str, list[str]] = {}
    for caller, api in ctx.code.instructions_calling(START_SELF):
        cls = caller.split("->", 1)[0]
        starters.setdefault(cls.split("$", 1)[0].rstrip(";") + ";", []).append(api)
    package = ctx.manifest.package
    evidence = []
    for component in wanted:
        name = package + component.name if component.name.startswith(".") else component.name
        starts = starters.get("L" + name.replace(".", "/") + ";")
        if not starts:
            continue  # listens, but its code starts no service or activity
        actions = sorted({a for f in component.intent_filters for a in f.actions if _is_boot(a)})
        short = ", ".join(a.rsplit(".", 1)[1] for a in actions)
        what = sorted({api.split("->", 1)[1].split("(", 1)[0] for api in starts})
        evidence.append(Evidence("manifest", f"{component.name} listens to {short} and calls {', '.join(what)}",
                                 component.location, extra={"actions": actions, "starts": what}))
    return evidence


def _is_boot(action: str) -> bool:
    return action in BOOT_ACTIONS or action.endswith("_COMPLETED")

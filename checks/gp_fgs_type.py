"""A foreground service lacks its declared type, or the FOREGROUND_SERVICE_<TYPE> permission (targetSdk 34+).

From Android 14, each service that runs in the foreground must declare `android:foregroundServiceType` and
request the matching permission (FOREGROUND_SERVICE_LOCATION for `location`, ...). Services are found from
the manifest and from code that calls `startForeground` in a service class.

Why it matters
--------------
Apps that target Android 14 crash when starting a foreground service without a type, and Google Play asks
each type to be declared and justified. The type tells users and reviewers what a service does while the
app is in the background.

How to fix
----------
Add `android:foregroundServiceType` to each foreground service with the types it needs, request the
matching FOREGROUND_SERVICE_* permissions, and declare them in the Play Console.

为何重要
--------
以 Android 14 为目标的应用在启动未声明类型的前台服务时会崩溃，Google Play 也要求声明每种前台服务类
型并说明理由。类型向用户和审核人员表明该服务在应用处于后台时做什么。

如何修复
--------
为每个前台服务添加 `android:foregroundServiceType` 并写明所需的类型，申请对应
的 `FOREGROUND_SERVICE_*` 权限，并在 Play 管理中心（`Play Console`）中进行声明。

References
----------
GP-10: Google Play's foreground service types policy.

概述
----
前台服务未声明其类型，或缺少对应的 `FOREGROUND_SERVICE_<TYPE>` 权限（`targetSdk` 34 及以上）。自 Android 14 起，每个
在前台运行的服务都必须声明 `android:foregroundServiceType` 并申请相应权限（如 `location` 类型需要
`FOREGROUND_SERVICE_LOCATION`）。服务从清单文件以及在服务类中调用 `startForeground` 的代码中查找。

依据
----
`GP-10`：谷歌应用商店的前台服务类型政策。
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding
from gate.core.rules import Params, Rule

RULE = Rule(
    id="GP-FGS-TYPE",
    title="Foreground service without a type or its permission",
    title_zh="前台服务缺少类型或相应权限",
    fires_when="targetSdk ≥ 34 and a foreground service without a declared type or without its FOREGROUND_SERVICE_* "
               "permission",
    references=("GP-10",),
    default_outcome="off",
    rank=30,
)
FLAGS = {1: "dataSync", 2: "mediaPlayback", 4: "phoneCall", 8: "location", 16: "connectedDevice",
         32: "mediaProjection", 64: "camera", 128: "microphone", 256: "health", 512: "remoteMessaging",
         1024: "systemExempted", 2048: "shortService", 1 << 30: "specialUse"}
PERMISSION = {"dataSync": "DATA_SYNC", "mediaPlayback": "MEDIA_PLAYBACK", "phoneCall": "PHONE_CALL",
              "location": "LOCATION", "connectedDevice": "CONNECTED_DEVICE", "mediaProjection": "MEDIA_PROJECTION",
              "camera": "CAMERA", "microphone": "MICROPHONE", "health": "HEALTH",
              "remoteMessaging": "REMOTE_MESSAGING", "systemExempted": "SYSTEM_EXEMPTED", "specialUse": "SPECIAL_USE"}
START_FOREGROUND = ("Landroid/app/Service;->startForeground(ILandroid/app/Notification;)V",
                    "Landroid/app/Service;->startForeground(ILandroid/app/Notification;I)V")


def types(value: str) -> list[str]:
    """`location|camera` as written, or the compiled flag value (0x48)."""
    value = value.strip()
    try:
        bits = int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError:
        return [t for t in value.split("|") if t]
    return [name for flag, name in FLAGS.items() if bits & flag]


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    manifest = ctx.manifest
    if manifest.target_sdk < 34:
        return
    permissions = set(manifest.permission_names)
    services = {c.name: c for c in manifest.components if c.kind == "service"}
    starters = {caller.split("->", 1)[0][1:-1].replace("/", ".") for caller, _ in
                ctx.code.instructions_calling(START_FOREGROUND)} if ctx.dex_entries else set()
    evidence = []
    for name, service in sorted(services.items()):
        declared = types(service.attrs.get("foregroundServiceType", ""))
        if not declared and name in starters:
            evidence.append(Evidence("manifest", f"{name} calls startForeground but declares no foregroundServiceType",
                                     service.location))
        for kind in declared:
            needed = PERMISSION.get(kind)
            if needed and f"android.permission.FOREGROUND_SERVICE_{needed}" not in permissions:
                evidence.append(Evidence("manifest", f"{name} has type {kind} but the app lacks "
                                         f"FOREGROUND_SERVICE_{needed}", service.location))
    if evidence:
        yield Finding(rule_id=RULE.id,
                      message=f"{len(evidence)} foreground service problem(s) for an app targeting API "
                              f"{manifest.target_sdk}.",
                      message_zh=f"以 API {manifest.target_sdk} 为目标的应用存在 {len(evidence)} 处前台服务问题。",
                      evidence=tuple(evidence))

"""The app starts itself on system events (self-starting, 自启动).

This covers the manifest part: broadcast receivers registered for wake-up broadcasts such as
BOOT_COMPLETED, CONNECTIVITY_CHANGE, USER_PRESENT or PACKAGE_ADDED, which bring the app's process up
without the user opening it. Each receiver is named with the actions it listens to.

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

References
----------
CN-164-2.2: apps that start themselves or other apps without need (APP频繁自启动和关联启动).
TS-09: technical signal of wake-up receivers and cross-app starts.
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "HAR-SELF-START"

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


def run(ctx: BuildContext) -> Iterator[Finding]:
    evidence = []
    for component in ctx.manifest.components:
        if component.kind != "receiver":
            continue
        actions = sorted({a for f in component.intent_filters for a in f.actions if a in WAKE_UP_ACTIONS})
        if actions:
            short = ", ".join(a.rsplit(".", 1)[1] for a in actions)
            evidence.append(Evidence("manifest", f"{component.name} listens to {short}", component.location,
                                     extra={"actions": actions}))
    if evidence:
        yield Finding(
            rule_id=RULE_ID,
            message=f"{len(evidence)} broadcast receiver(s) wake the app up on system events (boot, network, "
                    "unlock, package changes, ...).",
            evidence=tuple(evidence),
        )

"""Rogue behaviour: a hidden launcher icon, device admin that resists, clicks for the user, screen locking.

Four combinations, each of which an honest app does not need:

- **hidden icon**: `PackageManager.setComponentEnabledSetting` with `COMPONENT_ENABLED_STATE_DISABLED` (2)
  on the app's own launcher activity (named by string or class in the calling method), reached from
  start-up, a receiver, a service, a timer or the launcher activity's own `onCreate`: the app disappears
  from the home screen as soon as it has run, so the user cannot find it to remove it;
- **device admin that resists**: a `DeviceAdminReceiver` whose `onDisableRequested` or `onDisabled` reaches
  `DevicePolicyManager.lockNow`, `resetPassword` or `wipeData`: deactivating it (the step before
  uninstalling) locks or wipes the phone. A parental-control app that asks for device admin with a clear
  purpose and lets the user deactivate it is quiet;
- **accessibility that clicks for the user**: an `AccessibilityService` whose `onAccessibilityEvent`
  reaches `AccessibilityNodeInfo.performAction` and looks for buttons by the texts of permission and
  install dialogs (允许, 安装, 确定, 授权, 激活, allow, install...): it grants itself permissions or installs
  apps. A screen reader that only reads nodes is quiet;
- **lock-screen ransom**: `SYSTEM_ALERT_WINDOW` and `WindowManager.addView` from a service, receiver, timer or
  start-up with a system window type (`TYPE_SYSTEM_ERROR`, 2010, or `TYPE_SYSTEM_ALERT`/`TYPE_APPLICATION_OVERLAY`
  full screen), plus an app class that swallows the back/home keys (`onKeyDown`, `dispatchKeyEvent` or
  `onBackPressed` that does nothing or returns `true`).

Why it matters
--------------
CNCERT classes these as 流氓行为 (rogue behaviour) and, for locking or wiping the phone, 系统破坏 (system
damage): the user loses control of their own device, cannot uninstall the app, or is extorted to unlock
it. A distribution platform must keep such programs off its shelves.

How to fix
----------
Keep the launcher icon. Use device admin only for a declared purpose and never act against the user in
`onDisableRequested`/`onDisabled`. An accessibility service must not press buttons of permission or
install dialogs. Do not cover the screen with system windows or block the back and home keys.

为何重要
--------
CNCERT 将上述行为归为“流氓行为”，锁定或清除手机数据的还属于“系统破坏”：用户失去对自己设备的控制、无法卸载
应用，甚至被勒索解锁。应用分发平台须将此类程序拒之门外。

如何修复
--------
不要隐藏桌面图标。设备管理器权限只用于已声明的用途，不得在 `onDisableRequested`/`onDisabled` 中采取不利于
用户的操作。无障碍服务不得代替用户点击权限申请或安装界面的按钮。不要用系统窗口覆盖屏幕，也不要屏蔽返回键
和主屏幕键。

References
----------
CNCERT-8: CNCERT's eight malicious behaviours; this rule covers 流氓行为 and 系统破坏, and the platform's duty
to keep such programs off its shelves.

概述
----
流氓行为：隐藏桌面图标、抗拒停用的设备管理器、代替用户点击、锁屏勒索。四种组合，正常应用都不需要：隐藏图标（运行后立
即以 `setComponentEnabledSetting` 禁用自己的启动界面，使用户找不到并无法卸载）；抗拒停用的设备管理器（在
`onDisableRequested` 或 `onDisabled` 中调用 `lockNow`、`resetPassword` 或 `wipeData`）；代替用户点击的无障碍服务（在
`onAccessibilityEvent` 中按权限申请或安装界面的按钮文字查找并点击）；锁屏勒索（从后台以系统级窗口覆盖全屏，并屏蔽返
回键和主屏幕键）。

依据
----
`CNCERT-8`：国家互联网应急中心（CNCERT）定义的八类恶意行为；本规则对应流氓行为和系统破坏，以及平台不得上架此类程序的
责任。
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from checks._base import MAX_EVIDENCE, background_entries, callbacks_of, chain_evidence, not_library
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

if TYPE_CHECKING:  # gate.core.code pulls in numpy: imported when the code is first analysed
    from gate.core.code import Chain

RULE = Rule(
    id="MAL-ROGUE",
    title="Rogue behaviour",
    title_zh="流氓行为：隐藏图标、阻止卸载、代替用户点击、锁屏勒索",
    fires_when="hides its launcher icon after install, uses device admin to resist uninstall, an accessibility "
               "service that clicks or grants for the user, or locks the screen for ransom (流氓行为, 系统破坏)",
    references=("CNCERT-8",),
    default_outcome=Outcome.BLOCK,
    rank=60,
)
CNCERT = ("流氓行为", "系统破坏")
SET_ENABLED = {"Landroid/content/pm/PackageManager;->setComponentEnabledSetting(Landroid/content/ComponentName;II)V":
               "hide_icon"}
DISABLED = 2
ADMIN = "Landroid/app/admin/DeviceAdminReceiver;"
ADMIN_CALLBACKS = ("onDisableRequested(Landroid/content/Context;Landroid/content/Intent;)Ljava/lang/CharSequence;",
                   "onDisabled(Landroid/content/Context;Landroid/content/Intent;)V")
ADMIN_ACTIONS = {
    "Landroid/app/admin/DevicePolicyManager;->lockNow()V": "lock",
    "Landroid/app/admin/DevicePolicyManager;->lockNow(I)V": "lock",
    "Landroid/app/admin/DevicePolicyManager;->resetPassword(Ljava/lang/String;I)Z": "reset_password",
    "Landroid/app/admin/DevicePolicyManager;->wipeData(I)V": "wipe",
}
A11Y = ("Landroid/accessibilityservice/AccessibilityService;",)
A11Y_CALLBACKS = ("onAccessibilityEvent(Landroid/view/accessibility/AccessibilityEvent;)V",)
A11Y_ACTIONS = {
    "Landroid/view/accessibility/AccessibilityNodeInfo;->performAction(I)Z": "click",
    "Landroid/view/accessibility/AccessibilityNodeInfo;->findAccessibilityNodeInfosByText(Ljava/lang/String;)"
    "Ljava/util/List;": "find",
}
GRANT_TEXT = re.compile(r"允许|安装|确定|授权|激活|始终允许|下一步|完成|allow|install|grant|activate|\bok\b", re.I)
ADD_VIEW = {"Landroid/view/WindowManager;->addView(Landroid/view/View;Landroid/view/ViewGroup$LayoutParams;)V":
            "overlay",
            "Landroid/view/ViewManager;->addView(Landroid/view/View;Landroid/view/ViewGroup$LayoutParams;)V":
            "overlay"}
TYPE_SYSTEM_ERROR, TYPE_SYSTEM_ALERT, TYPE_APPLICATION_OVERLAY, MATCH_PARENT = 2010, 2003, 2038, -1
KEY_METHODS = ("onKeyDown(ILandroid/view/KeyEvent;)Z", "dispatchKeyEvent(Landroid/view/KeyEvent;)Z",
               "onBackPressed()V")
KEY_BASES = ("Landroid/app/Activity;", "Landroid/view/View;", "Landroid/view/ViewGroup;",
             "Landroid/widget/FrameLayout;", "Landroid/widget/LinearLayout;", "Landroid/widget/RelativeLayout;",
             "Landroid/app/Dialog;")
SWALLOW_OPS = {0x00, 0x0E, 0x0F, 0x12}  # nop, return-void, return, const/4: does nothing or returns a constant
MAX_DEPTH = 6


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    parts: list[tuple[str, str, list[Evidence]]] = []
    for found in (_hidden_icon(ctx), _admin_resists(ctx), _a11y_clicks(ctx), _ransom_lock(ctx)):
        if found is not None:
            parts.append(found)
    if not parts:
        return
    evidence = [e for _, _, ev in parts for e in ev][:MAX_EVIDENCE]
    yield Finding(
        rule_id=RULE.id,
        message="Rogue behaviour: " + "; ".join(p[0] for p in parts) + " (CNCERT: 流氓行为, 系统破坏).",
        message_zh="流氓行为：" + "；".join(p[1] for p in parts) + "（CNCERT 分类：流氓行为、系统破坏）。",
        evidence=tuple(evidence),
    )


def _hidden_icon(ctx: BuildContext) -> tuple[str, str, list[Evidence]] | None:
    launchers = [c.name for c in ctx.manifest.components if c.is_launcher]
    if not launchers:
        return None
    pkg = ctx.manifest.package
    names = set(launchers) | {"L" + n.replace(".", "/") + ";" for n in launchers}
    names |= {n[len(pkg):] for n in launchers if n.startswith(pkg + ".")}
    hiding: dict[str, list[str]] = {}  # method that disables a launcher component → the names it uses
    for site in not_library(ctx, ctx.code.raw_calls(SET_ENABLED)):
        named = set(ctx.code.strings_in(site.caller)) | set(ctx.code.classes_in(site.caller))
        if named & names and DISABLED in ctx.code.opcodes(site.caller)[1]:
            hiding[site.caller] = sorted(named & names)
    if not hiding:
        return None
    entries = dict(background_entries(ctx))
    for comp in launchers:
        entries.setdefault("L" + comp.replace(".", "/") + ";->onCreate(Landroid/os/Bundle;)V", "launcher")
    chains, _ = ctx.code.reachable_calls(entries, SET_ENABLED, max_depth=MAX_DEPTH)
    hits = [chain_evidence(c, entries.get(c.methods[0]), hides=hiding[c.methods[-1]])
            for c in sorted(chains, key=lambda c: len(c.methods)) if c.methods[-1] in hiding]
    if not hits:
        return None
    return ("hides its launcher icon from code that runs on its own",
            "在自动运行的代码中隐藏自身桌面图标", hits[:10])


def _admin_resists(ctx: BuildContext) -> tuple[str, str, list[Evidence]] | None:
    entries = [e for e in callbacks_of(ctx, (ADMIN,), ADMIN_CALLBACKS) if not ctx.code.is_library(e.split("->")[0])]
    if not entries:
        return None
    chains, _ = ctx.code.reachable_calls(entries, ADMIN_ACTIONS, max_depth=MAX_DEPTH)
    if not chains:
        return None
    hits = [chain_evidence(c, "device_admin") for c in sorted(chains, key=lambda c: len(c.methods))]
    what = sorted({c.category for c in chains})
    what_en = {"lock": "locking the screen", "reset_password": "resetting the password", "wipe": "wiping the phone"}
    what_zh = {"lock": "锁屏", "reset_password": "重置锁屏密码", "wipe": "清除手机数据"}
    return (f"its device-admin receiver answers deactivation by {' and '.join(what_en[w] for w in what)}",
            f"设备管理器接收器在用户取消激活时{'、'.join(what_zh[w] for w in what)}", hits[:10])


def _a11y_clicks(ctx: BuildContext) -> tuple[str, str, list[Evidence]] | None:
    entries = [e for e in callbacks_of(ctx, A11Y, A11Y_CALLBACKS) if not ctx.code.is_library(e.split("->")[0])]
    if not entries:
        return None
    chains, _ = ctx.code.reachable_calls(entries, A11Y_ACTIONS, max_depth=MAX_DEPTH)
    clicks = [c for c in chains if c.category == "click"]
    if not clicks:
        return None
    texts: dict[str, list[str]] = {}
    for chain in chains:
        for method in chain.methods:
            matched = [s for s in ctx.code.strings_in(method) if len(s) <= 20 and GRANT_TEXT.search(s)]
            if matched:
                texts[method] = matched
    if not texts:
        return None
    hits: list[Evidence] = [chain_evidence(c, "accessibility") for c in sorted(clicks, key=lambda c: len(c.methods))]
    hits += [Evidence("api", f"looks for buttons labelled {', '.join(t[:6])}", m, extra={"strings": t[:20]})
             for m, t in sorted(texts.items())]
    return ("its accessibility service clicks buttons of permission or install dialogs for the user",
            "无障碍服务代替用户点击权限申请或安装界面的按钮", hits[:10])


def _ransom_lock(ctx: BuildContext) -> tuple[str, str, list[Evidence]] | None:
    if "android.permission.SYSTEM_ALERT_WINDOW" not in ctx.manifest.permission_names:
        return None
    if not not_library(ctx, ctx.code.raw_calls(ADD_VIEW)):
        return None
    swallow = []
    for sig in callbacks_of(ctx, KEY_BASES, KEY_METHODS):
        if ctx.code.is_library(sig.split("->")[0]):
            continue
        ops, literals = ctx.code.opcodes(sig)
        if ops and ops <= SWALLOW_OPS and (sig.endswith("V") or 1 in literals):
            swallow.append(sig)
    if not swallow:
        return None
    entries = background_entries(ctx)
    chains, _ = ctx.code.reachable_calls(entries, ADD_VIEW, max_depth=MAX_DEPTH)
    locking: list[Chain] = []
    for chain in chains:
        literals = frozenset().union(*(ctx.code.opcodes(m)[1] for m in chain.methods))
        if TYPE_SYSTEM_ERROR in literals or (
                {TYPE_SYSTEM_ALERT, TYPE_APPLICATION_OVERLAY} & literals and MATCH_PARENT in literals):
            locking.append(chain)
    if not locking:
        return None
    hits = [chain_evidence(c, entries.get(c.methods[0])) for c in sorted(locking, key=lambda c: len(c.methods))]
    hits += [Evidence("api", f"{s.split('->')[1].split('(')[0]} swallows the key", s) for s in swallow[:5]]
    return ("covers the screen with a system window from the background and blocks the back/home keys",
            "在后台以系统级窗口覆盖全屏并屏蔽返回键/主屏幕键（锁屏勒索）", hits[:10])

"""The app or an SDK in it reads the list of installed or running apps.

Counts calls such as `PackageManager.getInstalledPackages`, `getInstalledApplications`,
`queryIntentActivities`, `ActivityManager.getRunningAppProcesses`, and the QUERY_ALL_PACKAGES permission
that lets them see every app on Android 11 and later.

Why it matters
--------------
The installed-app list reveals religion, health, finances and habits. MIIT has named apps and SDKs that read
it in the background or at high frequency without need; Google Play restricts QUERY_ALL_PACKAGES to apps
whose core function needs it.

How to fix
----------
Query only the packages you need (`<queries>` in the manifest, `getPackageInfo` for a named package) instead
of listing all apps; remove QUERY_ALL_PACKAGES. Turn off app-list collection in SDKs that offer it (push and
analytics SDKs often do), and disclose any remaining use in the privacy policy.

为何重要
--------
已安装应用列表可以反映用户的宗教信仰、健康状况、财务状况和生活习惯。工信部已通报过无必要地在后台或高
频读取已安装应用列表的应用和第三方 SDK；Google Play 仅允许核心功能确需的应用使
用 `QUERY_ALL_PACKAGES`。

如何修复
--------
只查询确实需要的应用（在清单文件 `AndroidManifest.xml` 中声明 `<queries>`，或对指定包名调
用 `getPackageInfo`），不要获取全部应用列表；移除 `QUERY_ALL_PACKAGES` 权限。关闭第三方 SDK 提供的已安
装应用列表收集功能（推送和统计类 SDK 常有此功能），并在隐私政策中说明仍保留的读取行为。

References
----------
CN-337-3: MIIT notice 337 on reading the app list (installed apps) without need.
GP-03: Google Play's package visibility policy (QUERY_ALL_PACKAGES).

概述
----
应用或其中的 SDK 读取已安装或正在运行的应用列表。统计 `PackageManager.getInstalledPackages`、
`getInstalledApplications`、`queryIntentActivities`、`ActivityManager.getRunningAppProcesses` 等调用，以及在
Android 11 及以上版本可借此看到所有应用的 `QUERY_ALL_PACKAGES` 权限。

依据
----
`CN-337-3`：工信部 337 号文关于无必要读取应用列表（已安装应用）的规定。
`GP-03`：谷歌应用商店的应用可见性政策（`QUERY_ALL_PACKAGES`）。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import capped, permission_evidence, site_evidence, sites, who, who_zh
from gate.core.context import BuildContext
from gate.core.model import Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PI-APP-LIST",
    title="Reads the installed-app list",
    title_zh="读取已安装应用列表",
    fires_when="reads the installed-app list (API call, or QUERY_ALL_PACKAGES)",
    references=("CN-337-3", "GP-03"),
    default_outcome=Outcome.WARN,
    rank=60,
)
PERMISSION = "android.permission.QUERY_ALL_PACKAGES"


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    calls = [site_evidence(ctx, s) for s in sites(ctx, {"app_list"})]
    has_permission = PERMISSION in ctx.manifest.permission_names
    if not calls and not has_permission:
        return
    parts = []
    parts_zh = []
    if calls:
        parts.append(f"{len(calls)} call site(s) read the installed or running apps, {who(ctx, calls)}")
        parts_zh.append(f"{len(calls)} 处调用读取已安装或正在运行的应用，{who_zh(ctx, calls)}")
    if has_permission:
        parts.append("the app requests QUERY_ALL_PACKAGES, which makes every installed app visible to it")
        parts_zh.append("应用申请了 `QUERY_ALL_PACKAGES` 权限，可借此看到设备上所有已安装的应用")
    evidence = ((permission_evidence(ctx.manifest, PERMISSION),) if has_permission else ()) + capped(calls)
    message = "; ".join(parts)
    # only the first letter: str.capitalize() would lower the rest ("SDKs", "QUERY_ALL_PACKAGES")
    yield Finding(rule_id=RULE.id, message=message[:1].upper() + message[1:] + ".",
                  message_zh="；".join(parts_zh) + "。", evidence=evidence)

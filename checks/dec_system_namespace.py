"""The APK ships classes in platform namespaces (`android.`, `com.android.`, `java.`, `dalvik.`), imitating
system code.

The Android support and Jetpack libraries (`android.support`, `android.arch`, `android.databinding`) and
Google's published client libraries under `com.android` (Volley, the Play install referrer and billing
clients, build tooling) are legitimate and left out. An app that itself lives under `com.android.` (AOSP
samples such as `com.android.example.text.styling`) is flagged only for the roots the platform really defines
(`android.`, `java.`, `dalvik.`, `com.android.internal.`, `com.android.server.`), not for its sibling packages.

Why it matters
--------------
Code dressed up as part of Android misleads reviewers and users reading stack traces or package lists into
taking third-party code for the system's, and is a known trick of repackaged apps and of SDKs that want to
stay unnoticed (an attribution SDK in the corpus uses `com.android.reportx`).

How to fix
----------
Move the classes to a package of your own domain. If they come from an SDK, ask the vendor for a build that
does not use platform package names, or replace the SDK.

为何重要
--------
伪装成 Android 系统组成部分的代码，会误导查看崩溃堆栈或包列表的审核人员和用户，使其把第三方代码当作系统代码；
这也是重打包应用和想要隐藏自身的 SDK 的惯用手法（样本库中有一个归因统计 SDK 使用了 `com.android.reportx`）。

如何修复
--------
将这些类移到您自己域名下的包中。如果它们来自第三方 SDK，请要求供应商提供不使用系统包名的版本，或更换该 SDK。

References
----------
TS-14: technical signal of repackaging and disguised code.

概述
----
APK 中含有位于系统命名空间（`android.`、`com.android.`、`java.`、`dalvik.`）的类，冒充系统代码。Android 支持库和
Jetpack 库（`android.support`、`android.arch`、`android.databinding`），以及谷歌在 `com.android` 下发布的客户端库（
`Volley`、安装来源与结算客户端、构建工具）属正常情况，不计在内。

依据
----
`TS-14`：重新打包和伪装代码的技术特征。
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="DEC-SYSTEM-NAMESPACE",
    title="Ships classes in platform namespaces",
    title_zh="使用系统命名空间伪装代码",
    fires_when="the APK ships classes in platform namespaces (`android.`, `com.android.`, `java.`, `dalvik.`) that "
               "are not the support/androidx libraries, imitating system code",
    references=("TS-14",),
    default_outcome=Outcome.WARN,
    rank=20,
)
# The platform's own roots. Classes under the app's own package roots are never counted (an app whose package
# is com.android.example.*), nor open-source libraries the catalogue knows.
PLATFORM = ("Landroid/", "Lcom/android/", "Ljava/", "Ldalvik/", "Llibcore/")
# The roots the platform really defines. An app that itself lives under com.android. (AOSP samples such as
# com.android.example.text.styling) ships its sibling com.android.* packages as its own code: only these count.
REAL_PLATFORM = ("Landroid/", "Ljava/", "Ldalvik/", "Llibcore/", "Lcom/android/internal/", "Lcom/android/server/")
ALLOWED = ("Landroid/support/", "Landroid/arch/", "Landroid/databinding/", "Lcom/android/volley/",
           "Lcom/android/installreferrer/", "Lcom/android/billingclient/", "Lcom/android/tools/",
           "Lcom/android/vending/billing/", "Lcom/android/vending/licensing/")


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    code = ctx.code
    roots = REAL_PLATFORM if ctx.manifest.package.startswith("com.android.") else PLATFORM
    found = [c for p in roots for c in code.classes_with_prefix(p)
             if not c.startswith(ALLOWED) and not code.is_own(c) and not code.is_library(c)]
    if not found:
        return
    packages = Counter(c[1:].rsplit("/", 1)[0].replace("/", ".") for c in found)
    evidence = []
    for package, count in sorted(packages.items()):
        example = next(c for c in found if c[1:].rsplit("/", 1)[0].replace("/", ".") == package)
        kind, ident = code.owner(example)
        evidence.append(Evidence("file", f"package {package} ({count} classes)", example,
                                 sdk=ident if kind == "sdk" else None))
    yield Finding(
        rule_id=RULE.id,
        message=f"{len(found)} class(es) in {len(packages)} platform package(s) are shipped by the app: "
                + ", ".join(sorted(packages)[:5]) + ("" if len(packages) <= 5 else ", ..."),
        message_zh=f"应用自带 {len(found)} 个类，位于 {len(packages)} 个系统命名空间的包中："
                   + "、".join(sorted(packages)[:5]) + ("。" if len(packages) <= 5 else " 等。"),
        evidence=tuple(evidence[:60]),
    )

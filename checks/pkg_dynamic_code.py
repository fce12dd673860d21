"""Code can be loaded or replaced after review: class loaders built by the app, hot-update and plugin
frameworks, and dex, jar or APK payloads shipped inside the APK.

Payloads are recognised by their content (a dex header, or a ZIP that holds classes.dex or an
AndroidManifest.xml), not only by their names. Class loaders created inside open-source libraries are
followed to the code that uses them.

Why it matters
--------------
Code loaded at run time was never reviewed: hot updates and plugins let an app change what it does after it
is listed, which the CAC's app rules and the store's duty to review forbid for functional changes. It is
also how malicious SDKs fetch their payloads.

How to fix
----------
Ship all code in the APK and update through the store. If a hot-fix framework (Tinker, Sophix, Robust) is
used, restrict it to bug fixes, sign and verify patches, and disclose it; remove plugin frameworks and
payloads that load features the store has not reviewed.

为何重要
--------
动态加载代码从未经过审核：热更新和插件化使应用在上架后仍能改变其功能，而国家网信办的移动互联网应用
程序管理规定和应用商店的审核义务都不允许以这种方式变更功能。恶意 SDK 也常借此下载其恶意载荷。

如何修复
--------
请将全部代码打包进 APK，并通过应用商店发布更新。如使用热修复框架（Tinker、Sophix、Robust），请仅用
于修复缺陷，对补丁进行签名和校验，并予以披露；移除插件化框架，以及会加载未经应用商店审核的功能的代
码载荷。

References
----------
TS-11: technical signal of dynamically loaded code.
CN-CACAPP-2: the CAC provisions on mobile app information services (reviewed content, no changes that evade review).

概述
----
代码可在审核之后被加载或替换：应用自行创建的类加载器、热更新和插件化框架，以及打包在 APK 内的 dex、jar 或 APK 载荷。
载荷按内容识别（dex 文件头，或含有 `classes.dex` 或 `AndroidManifest.xml` 的 ZIP 包），而不仅凭文件名。开源库内部创
建的类加载器会追溯到使用它们的代码。

依据
----
`TS-11`：动态加载代码的技术特征。
`CN-CACAPP-2`：网信办《移动互联网应用程序信息服务管理规定》（内容须经审核，不得规避审核变更）。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import capped, site_evidence, sites
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PKG-DYNAMIC-CODE",
    title="Code can be loaded or replaced after review",
    title_zh="审核后可动态加载或替换代码",
    fires_when="code can be loaded after review: DexClassLoader / InMemoryDexClassLoader / PathClassLoader on app "
               "files, hot-update or plugin frameworks (Tinker, Sophix, Robust, RePlugin, Shadow, VirtualAPK, ...), "
               "dex/jar/apk payloads in assets",
    references=("TS-11", "CN-CACAPP-2"),
    default_outcome=Outcome.WARN,
    rank=80,
)
# Class loaders a method may name for Class.forName / ClassLoader.loadClass, to build one by reflection.
LOADER_CLASSES = ("dalvik.system.DexClassLoader", "dalvik.system.PathClassLoader",
                  "dalvik.system.InMemoryDexClassLoader", "dalvik.system.BaseDexClassLoader",
                  "dalvik.system.DelegateLastClassLoader")
REFLECTION = ("Ljava/lang/Class;->forName(Ljava/lang/String;)Ljava/lang/Class;",
              "Ljava/lang/Class;->forName(Ljava/lang/String;ZLjava/lang/ClassLoader;)Ljava/lang/Class;",
              "Ljava/lang/ClassLoader;->loadClass(Ljava/lang/String;)Ljava/lang/Class;")
_KIND_TEXT = {"dex": "dex file", "apk": "an APK (holds AndroidManifest.xml)", "jar": "an archive holding dex code"}


def _payloads(ctx: BuildContext) -> list[Evidence]:
    return [Evidence("file", _KIND_TEXT[c.kind], c.path, extra={"payload": c.kind}) for c in ctx.payloads.containers]


def reflective_loaders(ctx: BuildContext) -> list[Evidence]:
    """Methods that name a class loader class and load a class by name: a class loader built by reflection
    (``Class.forName("dalvik.system.DexClassLoader").getConstructor(...).newInstance(...)``), or reached by
    reflection to graft dex files into the app's own (``BaseDexClassLoader.pathList``, as hot fixes and shells do)."""
    code = ctx.code
    naming: dict[str, str] = {}
    for name in LOADER_CLASSES:
        for method in code.methods_with_string(name):
            naming.setdefault(method, name)
    if not naming:
        return []
    out = []
    for caller in naming:  # a handful of methods: read their own invokes rather than scan every dex
        kind, ident = code.owner(caller.split("->", 1)[0])
        if kind == "library" or not set(code.invokes_in(caller)) & set(REFLECTION):
            continue
        out.append(Evidence("api", f'Class.forName("{naming[caller]}") (a class loader reached by reflection)', caller,
                            sdk=ident if kind == "sdk" else None,
                            extra={"category": "dynamic_code", "owner": kind, "reflective": True}))
    return out


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    loaders = [site_evidence(ctx, s) for s in sites(ctx, {"dynamic_code"})]
    reflective = reflective_loaders(ctx)
    hot = [d for d in ctx.sdk_inventory if d.sdk.kind == "hot_update_plugin"]
    frameworks = [Evidence("sdk", f"{d.sdk.name_en} ({d.sdk.vendor_en})", d.evidence[0].get("location"), sdk=d.sdk.id)
                  for d in hot]
    frameworks_zh = [f"{d.sdk.name_zh}（{d.sdk.vendor_zh}）" for d in hot]
    payloads = _payloads(ctx)
    if not (loaders or frameworks or payloads or reflective):
        return
    parts = []
    parts_zh = []
    if frameworks:
        parts.append("hot-update or plugin framework(s): " + ", ".join(e.value for e in frameworks))
        parts_zh.append("热更新或插件化框架：" + "、".join(frameworks_zh))
    if loaders:
        parts.append(f"{len(loaders)} place(s) that create class loaders or load native code from a path")
        parts_zh.append(f"{len(loaders)} 处创建类加载器或从指定路径加载原生代码的调用")
    if reflective:
        parts.append(f"{len(reflective)} place(s) that build or reach class loaders by reflection")
        parts_zh.append(f"{len(reflective)} 处通过反射构造或操作类加载器的调用")
    if payloads:
        names = ", ".join(e.location or "" for e in payloads[:3])
        parts.append(f"{len(payloads)} code payload(s) inside the APK ({names})")
        names_zh = "、".join(e.location or "" for e in payloads[:3])
        parts_zh.append(f"APK 内含 {len(payloads)} 个代码载荷（{names_zh}）")
    yield Finding(rule_id=RULE.id, message="Code can be loaded after review: " + "; ".join(parts) + ".",
                  message_zh="应用可在审核后动态加载代码：" + "；".join(parts_zh) + "。",
                  evidence=tuple(frameworks) + tuple(payloads) + capped(loaders) + capped(reflective))

"""A packer (加固) or protector hides the app's code, so the gate cannot inspect it.

A packer is named only on two independent kinds of evidence: its native libraries, its stub Application
class, its assets, and anomalies of the dex itself (manifest components whose classes are missing from
the dex, extra dex files hidden under `lib/` or `assets/`, a dex that holds almost nothing, DexGuard's
renamed `o` package). A class name alone is never enough: a home-made shell with a class called `StubApp`
is not 360 Jiagu. Code that is plainly hidden by an unknown shell is reported as such.

Why it matters
--------------
A store must review the code it lists. Packed code is decrypted only at run time, so neither the store nor
the regulator's static tests can see what the app and its SDKs do; packing is also how repackaged copies
hide injected code. Chinese store rules ask for the unpacked build for review.

How to fix
----------
Submit the build without the packer (or the packer vendor's "review" build) so the store can inspect it, and
apply hardening, if at all, in a way that leaves the code reviewable. Declare the packer in the listing.

为何重要
--------
应用商店必须审核其上架的代码。加固（加壳）后的代码只在运行时才解密，应用商店和监管部门的静态检测都
无法看到应用及其第三方 SDK 的实际行为；加固也是二次打包的仿冒版本隐藏注入代码的手段。国内应用商店
的规则要求提交未加固的版本供审核。

如何修复
--------
请提交未加固的版本（或加固厂商提供的“审核版”）供应用商店检查；如确需加固，请采用不妨碍代码审核的方
式，并在上架信息中声明所用的加固（加壳）工具。

References
----------
TS-11: technical signal of packed or dynamically loaded code.
QL2022: the CAC "Qinglang" campaign on app-sector disorder (Dec 2022): the listed version must be the one that runs.
CN-QL2022: the CAC Qinglang 2022 campaign against hidden and repackaged app code.

概述
----
加固工具隐藏了应用的代码，审核系统无法检查。只有在两类相互独立的证据同时出现时才认定为某种加固：其原生库、入口
`Application` 类、资源文件，以及 dex 本身的异常（清单组件的类在 dex 中缺失、藏在 `lib/` 或 `assets/` 下的额外 dex 文
件、几乎不含内容的 dex、`DexGuard` 重命名的 `o` 包）。仅凭类名绝不足以认定：自制外壳中名为 `StubApp` 的类并不是 360
加固。明显被未知外壳隐藏的代码会如实报告。

依据
----
`TS-11`：加固或动态加载代码的技术特征。
`QL2022`：网信办 2022 年 12 月“清朗·移动互联网应用程序领域乱象整治”专项行动：上架版本必须与实际运行的版本一致。
`CN-QL2022`：网信办 2022 年“清朗”专项行动，整治隐藏和重新打包的应用代码。
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gate.apk.manifest import class_name
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule
from gate.core.sdks import asset_matches, catalogue, lib_matches, sensitive_apis

RULE = Rule(
    id="PKG-PACKED",
    title="Code hidden by a packer",
    title_zh="代码经加固（加壳）隐藏",
    fires_when="a commercial packer/protector (360 Jiagu, Tencent Legu, Bangcle, Ijiami, Baidu, Ali, DexGuard, ...) "
               "hides the code: the gate cannot inspect it. Name the packer and its markers",
    references=("TS-11", "QL2022", "CN-QL2022"),
    default_outcome=Outcome.WARN,
    rank=70,
)
APPLICATION_ENTRIES = ("<clinit>()V", "<init>()V", "attachBaseContext(Landroid/content/Context;)V", "onCreate()V")
STUB_MAX_CLASSES = 200  # a stub dex holds a handful of classes
REFLECTION = ("Ljava/lang/Class;->forName(Ljava/lang/String;)Ljava/lang/Class;",
              "Ljava/lang/Class;->forName(Ljava/lang/String;ZLjava/lang/ClassLoader;)Ljava/lang/Class;",
              "Ljava/lang/Class;->getDeclaredField(Ljava/lang/String;)Ljava/lang/reflect/Field;",
              "Ljava/lang/Class;->getDeclaredMethod(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;",
              "Ljava/lang/ClassLoader;->loadClass(Ljava/lang/String;)Ljava/lang/Class;")
# Names a stub uses to build a class loader by reflection or to graft dex files into the app's own.
LOADER_NAMES = {"dexElements", "makeDexElements", "makePathElements", "pathList", "dalvik.system.DexClassLoader",
                "dalvik.system.PathClassLoader", "dalvik.system.InMemoryDexClassLoader",
                "dalvik.system.BaseDexClassLoader"}
_KEYWORDS = {"if", "do", "for", "int", "new", "try", "aux", "con", "nul", "prn", "char", "byte", "case", "else",
             "enum", "goto", "long", "this", "void", "break", "catch", "class", "const", "final", "float", "short",
             "super", "throw", "while", "Code"}


def _desc(name: str) -> str:
    return "L" + name.replace(".", "/") + ";"


def _in_root_dex(ctx: BuildContext, desc: str) -> bool:
    """Whether a class is defined by the APK's own classes*.dex (not by a payload hidden in an asset)."""
    where = ctx.code.classes.get(desc)
    return where is not None and where[0] < len(ctx.dex_files)


def _root_classes(ctx: BuildContext) -> int:
    return sum(len(d.class_defs) for d in ctx.dex_files)


def _home_made(ctx: BuildContext) -> list[Evidence]:
    """A stub that unpacks hidden code at start: a small dex whose Application start-up (in the app's own
    code) builds a class loader, or reaches into one by reflection, while the APK carries an entry that
    decodes to nothing known and looks encrypted (entropy over 7.5 bits per byte)."""
    from gate.core.payloads import opaque_entries

    manifest = ctx.manifest
    app_class = manifest.application.get("name")
    if not app_class or _root_classes(ctx) >= STUB_MAX_CLASSES:
        return []
    app_desc = _desc(class_name(manifest.package, app_class))
    if not _in_root_dex(ctx, app_desc):
        return []
    code = ctx.code
    targets = {api: "loader" for api, cat in sensitive_apis().items()
               if cat == "dynamic_code" and "ClassLoader;-><init>" in api}
    targets.update({api: "reflection" for api in REFLECTION})
    chains, _ = code.reachable_calls([f"{app_desc}->{m}" for m in APPLICATION_ENTRIES], targets)
    loaders = []
    for chain in sorted(chains, key=lambda c: len(c.methods)):
        caller = chain.methods[-1]
        if code.owner(caller.split("->", 1)[0])[0] != "app":
            continue
        # the names may be loaded by the caller or handed down to a small reflection helper it calls
        if chain.category == "loader" or any(LOADER_NAMES & set(code.strings_in(m)) for m in chain.methods):
            loaders.append(chain)
    if not loaders:
        return []
    opaque = opaque_entries(ctx)
    if not opaque:
        return []
    chain = loaders[0]
    out = [Evidence("call_chain", " -> ".join((*chain.methods, chain.api)), chain.methods[0],
                    extra={"anomaly": "stub_loader"})]
    for path, bits in opaque[:3]:
        out.append(Evidence("file", f"{path}: {bits} bits per byte, no known format (encrypted code?)", path,
                            extra={"anomaly": "encrypted_payload", "entropy": bits}))
    return out


def _anomalies(ctx: BuildContext) -> list[Evidence]:
    manifest = ctx.manifest
    out = []
    own = [c for c in manifest.components if c.name.startswith(manifest.package + ".")]
    missing = [c for c in own if not _in_root_dex(ctx, _desc(c.name))]
    # an APK with no dex at all is a resource-only or test package, not a packed one
    if ctx.dex_entries and own and len(missing) * 2 >= len(own):
        out.append(Evidence("manifest", f"{len(missing)} of the app's {len(own)} components have no code in the dex "
                            f"(e.g. {missing[0].name}): their code is hidden", missing[0].location,
                            extra={"anomaly": "hidden_components"}))
    payloads = [n for n in ctx.entry_names() if re.match(r"^(lib/[^/]+|assets)/.*\.(dex|jar)$", n)]
    if payloads:
        out.append(Evidence("file", f"dex payload outside the dex files: {payloads[0]}", payloads[0],
                            extra={"anomaly": "payload", "files": payloads[:10]}))
    classes = _root_classes(ctx)
    if ctx.dex_entries and classes < 30 and ctx.size > 500_000:
        out.append(Evidence("file", f"the dex defines only {classes} classes in a {ctx.size:,}-byte APK",
                            ctx.dex_entries[0], extra={"anomaly": "tiny_dex"}))
    return out


def _dexguard(ctx: BuildContext) -> list[Evidence]:
    names = ctx.code.classes_with_prefix("Lo/")
    direct = [n[3:-1] for n in names if "/" not in n[3:-1]]
    if len(direct) < 50:
        return []
    odd = [n for n in direct if n.split("$")[0] in _KEYWORDS or not n.isascii() or n.split("$")[0].isupper()]
    if len(odd) < 10:
        return []
    return [Evidence("file", f"{len(direct)} classes renamed into package o", "Lo/", extra={"anomaly": "o_package"}),
            Evidence("file", f"{len(odd)} of them with keyword, capital or non-ASCII names (e.g. o.{odd[0]})",
                     f"Lo/{odd[0]};", extra={"anomaly": "dexguard_names"})]


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    manifest = ctx.manifest
    entries = ctx.entry_names()
    libs = {e.rsplit("/", 1)[1]: e for e in entries if e.startswith("lib/") and e.count("/") == 2}
    app_class = manifest.application.get("name")
    app_desc = _desc(class_name(manifest.package, app_class)) if app_class else None
    anomalies = _anomalies(ctx)
    for packer in (s for s in catalogue().sdks.values() if s.kind == "packer"):
        markers: dict[str, list[Evidence]] = {}
        for pattern in packer.native_libs:
            for name, path in libs.items():
                if lib_matches(pattern, name):
                    markers.setdefault("native_lib", []).append(Evidence("file", f"native library {name}", path,
                                                                        sdk=packer.id))
        for cls in packer.classes:
            desc = _desc(cls)
            if desc == app_desc or desc in ctx.code.classes:
                where = "the manifest's Application class" if desc == app_desc else "a class in the dex"
                kind = "manifest" if desc == app_desc else "file"
                markers.setdefault("stub_class", []).append(
                    Evidence(kind, f"stub class {cls} ({where})", desc, sdk=packer.id))
        for asset in packer.assets:
            for path in asset_matches(asset, entries)[:3]:
                markers.setdefault("asset", []).append(Evidence("file", f"file {path}", path, sdk=packer.id))
        if len(markers) >= 2 or (markers and anomalies):
            evidence = [e for group in markers.values() for e in group] + anomalies
            yield Finding(rule_id=RULE.id,
                          message=f"The code is packed by {packer.name_en} ({packer.vendor_en}); the gate cannot "
                                  "inspect the hidden code.",
                          message_zh=f"代码经过加固（加壳），所用工具为 {packer.name_zh}（{packer.vendor_zh}），"
                                     "审核系统无法检查被隐藏的代码。",
                          evidence=tuple(evidence))
            return
    guard = _dexguard(ctx)
    if guard:
        yield Finding(rule_id=RULE.id, message="The code is protected by DexGuard (classes renamed into package o, "
                                               "strings and classes encrypted); parts of it cannot be inspected.",
                      message_zh="代码受 `DexGuard` 保护（类被重命名到 `o` 包中，字符串和类经过加密），"
                                 "部分代码无法检查。",
                      evidence=tuple(guard))
        return
    hidden = [e for e in anomalies if e.extra.get("anomaly") == "hidden_components"]
    if hidden and ("instant-run.zip" in entries or ctx.code.classes_with_prefix("Lcom/android/tools/ir/")):
        yield Finding(rule_id=RULE.id,
                      message="This is an Android Studio Instant Run development build: the app's code is in "
                              "instant-run.zip and loaded at run time, so the dex holds only a bootstrap.",
                      message_zh="这是 Android Studio Instant Run 开发版本：应用代码位于 instant-run.zip 中，"
                                 "在运行时加载，因此 dex 中只有引导代码。",
                      evidence=(*anomalies, Evidence("file", "Instant Run payload", "instant-run.zip")))
        return
    stub = _home_made(ctx)
    if hidden:
        evidence = list(anomalies)
        if app_desc and app_desc in ctx.code.classes:
            evidence.append(Evidence("manifest", f"Application class {app_class} is in the dex and loads the rest",
                                     app_desc))
        yield Finding(rule_id=RULE.id,
                      message="The app's code is hidden by a packer the gate does not know (a home-made or "
                              "unlisted shell): the manifest names components whose code is not in the dex."
                              + _stub_text(stub),
                      message_zh="应用代码被审核系统无法识别的加固（加壳）工具隐藏（自制或未收录的壳）："
                                 "清单中声明的组件在 dex 中找不到代码。" + _stub_text_zh(stub),
                      evidence=tuple(evidence + stub))
    elif stub:
        files = ", ".join(e.location or "" for e in stub if e.extra.get("anomaly") == "encrypted_payload")
        yield Finding(rule_id=RULE.id,
                      message=f"The app's code is hidden by a home-made packer: a stub dex builds a class loader "
                              f"when the app starts and the APK carries encrypted data it can load ({files}); "
                              "the gate cannot inspect the hidden code.",
                      message_zh=f"应用代码被自制加固（加壳）工具隐藏：存根 dex 在应用启动时构造类加载器，且 APK 中"
                                 f"带有可被加载的加密数据（{files.replace(', ', '、')}），"
                                 "审核系统无法检查被隐藏的代码。",
                      evidence=tuple(anomalies + stub))


def _stub_text(stub: list[Evidence]) -> str:
    if not stub:
        return ""
    files = ", ".join(e.location or "" for e in stub if e.extra.get("anomaly") == "encrypted_payload")
    return (f" A stub dex builds a class loader when the app starts and the APK carries encrypted data it can "
            f"load ({files}): a home-made packer.")


def _stub_text_zh(stub: list[Evidence]) -> str:
    if not stub:
        return ""
    files = "、".join(e.location or "" for e in stub if e.extra.get("anomaly") == "encrypted_payload")
    return f"存根 dex 在应用启动时构造类加载器，且 APK 中带有可被加载的加密数据（{files}）：这是自制加固（加壳）工具。"

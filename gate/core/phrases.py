"""The Chinese of the short English texts the checks write into evidence (values and locations).

Evidence is stored as the checks wrote it, in English, so the verdicts already in the store keep reading the
same way; the zh-CN pages translate at display time through this one table, keyed by the English template
the check formats. A template's ``{name}`` fields (``{name:regex}`` to say what a field may hold) are carried
over into the Chinese one; a field whose name ends in ``category`` (or ``categories``, comma-separated) is shown
by its Chinese label. A check that adds or
changes an evidence text adds its template here: tests/checks/test_phrases.py fails on any English evidence
text of the fixtures and the corpus that no template matches.
"""

from __future__ import annotations

import re
from functools import cache

from gate.core.labels import CATEGORY_ZH

# (English template, Chinese template). Backticks mark code, shown as <code> by the pages.
PHRASES: tuple[tuple[str, str], ...] = (
    # _base
    ("(no listing)", "（未提供上架信息）"),
    ("... and {n} more call sites", "…… 另有 {n} 处调用"),
    ("... and {n} more chains", "…… 另有 {n} 条调用链"),
    ("... and {n} more {what}", "…… 另有 {n} 项"),
    ("AndroidManifest.xml <{tag}>", "`AndroidManifest.xml <{tag}>`"),
    ("signing certificate", "签名证书"),
    ("listing", "上架信息"),
    ("(none)", "（无）"),
    ("(archive)", "（安装包整体）"),
    # native reads (gate.core.native.describe); what they read is the evidence's category, shown beside it
    ("reads {what} from the file {target}", "读取文件 `{target}`"),
    ("reads the system property {target} ({what})", "读取系统属性 `{target}`"),
    ("runs the command '{target}' ({what})", "执行命令 `{target}`"),
    ("calls {what}: {target}", "通过 JNI 调用 `{target}`"),
    # DEC-INSTALL-PACKAGES, DEC-SYSTEM-NAMESPACE
    ('intent for "{text}"', "用于 `{text}` 的 Intent"),
    ("package {package} ({count} classes)", "包 `{package}`（{count} 个类）"),
    # GP-FGS-TYPE
    ("{name} calls startForeground but declares no foregroundServiceType",
     "`{name}` 调用了 `startForeground`，但未声明 `foregroundServiceType`"),
    ("{name} has type {kind} but the app lacks FOREGROUND_SERVICE_{perm}",
     "`{name}` 的类型为 `{kind}`，但应用未申请 `FOREGROUND_SERVICE_{perm}` 权限"),
    # HAR-SELF-START
    ("{name} listens to {short} and calls {what}", "`{name}` 监听 `{short}` 并调用 `{what}`"),
    # MAL-*
    ("{method} XORs a byte array in a loop", "`{method}` 在循环中对字节数组做异或运算"),
    ("{method} decrypts: {api}", "`{method}` 解密：`{api}`"),
    ("{method} downloads: {api}", "`{method}` 下载：`{api}`"),
    ("{method} xors: {api}", "`{method}` 异或解码：`{api}`"),
    ("{method} sends to {numbers}", "`{method}` 向 {numbers} 发送短信"),
    ("{method} receives commands ({source})", "`{method}` 接收指令（{source}）"),
    ("{method} compares the command", "`{method}` 比对收到的指令"),
    ("looks for buttons labelled {labels}", "查找标注为 {labels} 的按钮"),
    ("{method} swallows the key", "`{method}` 拦截按键"),
    ("receiver {name} for {action}", "接收 `{action}` 的广播接收器 `{name}`"),
    ("AndroidManifest.xml <manifest package>", "`AndroidManifest.xml <manifest package>`"),
    # PI-FORBIDDEN-DATA, PI-UNNECESSARY-DATA, PI-UNDISCLOSED-DATA
    ("app type {slug} ({zh}): forbidden {categories}", "应用类型 `{slug}`（{zh}）：不得收集{categories}"),
    ("app type {slug} ({zh}): necessary nothing", "应用类型 `{slug}`（{zh}）：无必要个人信息"),
    ("app type {slug} ({zh}): necessary {categories}", "应用类型 `{slug}`（{zh}）：必要个人信息为{categories}"),
    ("the policy denies {category}: \u201c{sentence}\u201d", "隐私政策声称不收集{category}：“`{sentence}`”"),
    ("the policy does not mention {category}", "隐私政策未提及{category}"),
    # PI-SDK-INVENTORY, PI-SDK-UNDISCLOSED
    ("unidentified third-party code {root} ({n} classes)", "未识别的第三方代码 `{root}`（{n} 个类）"),
    # PKG-CERT-CHANGED
    ("filed certificate {filed}, signed by {signer}", "备案登记的证书为 `{filed}`，实际签名证书为 `{signer}`"),
    ("earlier accepted versions are signed by {known}; this one by {signer}",
     "此前通过的版本签名证书为 `{known}`；本版本为 `{signer}`"),
    ("build {build} (version {version}, code {code})", "构建 `{build}`（版本 {version}，版本号 {code}）"),
    # PKG-CLEARTEXT
    ("base-config cleartextTrafficPermitted=true", "`base-config` 设置了 `cleartextTrafficPermitted=true`"),
    ("domain-config cleartextTrafficPermitted=true for {domains}",
     "`domain-config` 对 `{domains}` 设置了 `cleartextTrafficPermitted=true`"),
    ("no base-config: cleartext allowed by default (targetSdk {target} < 28)",
     "未配置 `base-config`：`targetSdk` 为 {target}（低于 28），默认允许明文传输"),
    ("usesCleartextTraffic not set: allowed by default for targetSdk {target}",
     "未设置 `usesCleartextTraffic`：`targetSdk` 为 {target} 时默认允许明文传输"),
    # PKG-DYNAMIC-CODE
    ("dex file", "dex 文件"),
    ("an APK (holds AndroidManifest.xml)", "APK 文件（含 `AndroidManifest.xml`）"),
    ("an archive holding dex code", "含 dex 代码的压缩包"),
    ('Class.forName("{name}") (a class loader reached by reflection)',
     '`Class.forName("{name}")`（通过反射获取的类加载器）'),
    # PKG-LIMITS
    ("{limit}={value} (max {maximum})", "`{limit}={value}`（上限 {maximum}）"),
    # PKG-PACKED
    ("{path}: {bits} bits per byte, no known format (encrypted code?)",
     "`{path}`：每字节 {bits} 比特的熵，不属于任何已知格式（疑为加密代码）"),
    ("{n} of the app's {total} components have no code in the dex (e.g. {name}): their code is hidden",
     "应用的 {total} 个组件中有 {n} 个在 dex 中没有代码（如 `{name}`）：其代码被隐藏"),
    ("dex payload outside the dex files: {path}", "dex 文件之外的 dex 代码：`{path}`"),
    ("the dex defines only {n} classes in a {size}-byte APK", "{size} 字节的 APK 中，dex 只定义了 {n} 个类"),
    ("{n} classes renamed into package o", "{n} 个类被重命名到包 `o` 中"),
    ("{n} of them with keyword, capital or non-ASCII names (e.g. {example})",
     "其中 {n} 个类名为关键字、大写或非 ASCII 字符（如 `{example}`）"),
    ("native library {name}", "原生库 `{name}`"),
    ("stub class {cls} (the manifest's Application class)", "壳入口类 `{cls}`（清单文件声明的 `Application` 类）"),
    ("stub class {cls} (a class in the dex)", "壳类 `{cls}`（位于 dex 中）"),
    ("file {path}", "文件 `{path}`"),
    ("Instant Run payload", "Instant Run 代码包"),
    ("Application class {cls} is in the dex and loads the rest", "`Application` 类 `{cls}` 位于 dex 中并加载其余代码"),
    # PKG-SIGNATURE
    ("no signature", "没有签名"),
    ("META-INF/ and APK Signing Block", "`META-INF/` 与 APK 签名块"),
    ("APK Signing Block", "APK 签名块"),
    ("unreadable APK Signing Block: {reason}", "APK 签名块无法读取：{reason}"),
    # PLT-*
    ("notice: {notice}", "通报：{notice}"),
    ("delisted registry", "下架名单"),
    ("developer name missing", "缺少开发者名称"),
    ("app name missing", "缺少应用名称"),
    ("app type missing", "缺少应用类型"),
    ("unknown app type {category}", "未知的应用类型 `{category}`"),
    ("{scheme:v1|v2|v3|v3\\.1}: {problem}", "`{scheme}` 签名校验失败：`{problem}`"),
    ("... and {n} more problems", "…… 另有 {n} 个问题"),
    ("{rule} on {n} consecutive versions: {message}", "`{rule}` 已连续出现在 {n} 个版本中"),
    ("builds {builds} and this one", "构建 `{builds}` 及本版本"),
)


def _label(name: str, value: str) -> str:
    if name.endswith("categories"):
        return "、".join(CATEGORY_ZH.get(v.strip(), v.strip()) for v in value.split(","))
    if name.endswith("category"):
        return CATEGORY_ZH.get(value, value)
    return value


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    out = []
    for en, zh in PHRASES:
        parts = re.split(r"\{(\w+)(?::([^}]+))?\}", en)  # text, name, regex, text, name, regex, ..., text
        pattern = "".join(re.escape(parts[i]) + (f"(?P<{parts[i + 1]}>{parts[i + 2] or '.+?'})"
                                                 if i + 1 < len(parts) else "")
                          for i in range(0, len(parts), 3))
        out.append((re.compile(pattern + r"\Z", re.DOTALL), zh))
    return tuple(out)


def zh(text: str) -> str | None:
    """The Chinese of an English evidence text, or None when no template matches it."""
    for pattern, template in _compiled():
        match = pattern.match(text)
        if match:
            fields = {name: _label(name, value) for name, value in match.groupdict().items()}
            return template.format(**fields)
    return None


# English prose: two words in a row (code, paths and ids have none)
_PROSE = re.compile(r"\b[A-Za-z][a-z]+\s+[a-z]{2,}\b")


def is_prose(text: str) -> bool:
    """Whether an evidence text reads as English words rather than code (a signature, a path, an id)."""
    return bool(_PROSE.search(text))

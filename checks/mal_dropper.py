"""A payload is decrypted or downloaded, then loaded as code or installed, without the user.

Dynamic code loading alone is PKG-DYNAMIC-CODE's business. This rule asks for the dropper's routine and
for it to run on its own. The routine is a method that loads or installs (`new DexClassLoader` /
`InMemoryDexClassLoader`, `DexFile.loadDex`, `PackageInstaller.Session.commit`, or `Runtime.exec` of a
`pm install` command), or one of its callers up to two calls above, which also prepares the payload
within two calls: decrypting (`Cipher.doFinal`, or XORing the bytes of an array in a loop in the routine
or the loading method) or downloading (`URLConnection.getInputStream`). Decrypting in one corner of an SDK
and loading in another does not make a routine; the sequence must meet in one method, as Quark's
"sequence" and "same data" stages ask. The routine must then be reached from code Android runs by itself
(Application start-up, a content provider, a system-triggered receiver, a service, a timer). Commercial packers and
hot-fix frameworks of the SDK catalogue (kind `packer` or `hot_update_plugin`) are PKG-PACKED's and
PKG-DYNAMIC-CODE's: their call sites are not counted here.

Why it matters
--------------
A dropper passes review clean and fetches or unpacks its real payload on the phone: the code the store
checked is not the code that runs. CNCERT counts this as 恶意传播 (malicious spreading) and, when the
payload installs further apps silently, as 系统破坏 (system damage). A distribution platform must keep such
programs off its shelves.

How to fix
----------
Ship all code in the reviewed APK. Updates go through the store; if the app must update itself, download
the APK only on the user's request and hand it to the system installer, which asks the user. Do not
encrypt code to hide it from review; if you protect code, use a packer the store recognises and declare it.

为何重要
--------
投放器以干净的面目通过审核，再在手机上下载或解密真正的恶意载荷：商店审核的代码并非实际运行的
代码。CNCERT 将其归为“恶意传播”，静默安装其他应用时亦属“系统破坏”。应用分发平台须将此类程序拒之门外。

如何修复
--------
所有代码均应包含在提交审核的 APK 中。版本更新应通过应用商店进行；如必须自行更新，只能在用户请求时下载
APK，并交由会征求用户确认的系统安装程序安装。不要为规避审核而加密代码；如需保护代码，请使用商店认可的加固
方案并如实声明。

References
----------
CNCERT-8: CNCERT's eight malicious behaviours; this rule covers 恶意传播 and 系统破坏, and the platform's duty
to keep such programs off its shelves.

概述
----
在用户不知情的情况下解密或下载载荷，再作为代码加载或安装。单纯的动态加载代码由 `PKG-DYNAMIC-CODE` 负责；本规则要求找
到完整的投放流程：同一方法（或其两层以内的调用者）既加载或安装代码（`DexClassLoader`、`InMemoryDexClassLoader`、
`DexFile.loadDex`、`PackageInstaller.Session.commit`，或以 `Runtime.exec` 执行安装命令），又在两层调用以内准备载荷（
`Cipher.doFinal` 解密、循环异或字节数组，或 `URLConnection.getInputStream` 下载），且该流程可从系统自动运行的代码（
应用启动、内容提供器、系统触发的广播接收器、服务、定时器）到达。商业加固和热更新框架的调用不计在内。

依据
----
`CNCERT-8`：国家互联网应急中心（CNCERT）定义的八类恶意行为；本规则对应恶意传播和系统破坏，以及平台不得上架此类程序的
责任。
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from checks._base import ENTRY_KIND_ZH, MAX_EVIDENCE, background_entries, chain_evidence, short_method
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

if TYPE_CHECKING:  # gate.core.code pulls in numpy: imported when the code is first analysed
    from gate.core.code import CallSite, Chain

RULE = Rule(
    id="MAL-DROPPER",
    title="Payload decrypted or downloaded, then loaded or installed",
    title_zh="解密或下载载荷后加载或静默安装",
    fires_when="a payload decrypted or downloaded, then loaded or installed without the user (恶意传播, 系统破坏)",
    references=("CNCERT-8",),
    default_outcome=Outcome.BLOCK,
    rank=40,
)
CNCERT = ("恶意传播", "系统破坏")
PREPARE = {
    "Ljavax/crypto/Cipher;->doFinal([B)[B": "decrypt",
    "Ljavax/crypto/Cipher;->doFinal()[B": "decrypt",
    "Ljavax/crypto/Cipher;->doFinal([BII)[B": "decrypt",
    "Ljava/net/URLConnection;->getInputStream()Ljava/io/InputStream;": "download",
    "Ljava/net/HttpURLConnection;->getInputStream()Ljava/io/InputStream;": "download",
}
RUN = {
    "Ldalvik/system/DexClassLoader;-><init>(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
    "Ljava/lang/ClassLoader;)V": "load",
    "Ldalvik/system/InMemoryDexClassLoader;-><init>(Ljava/nio/ByteBuffer;Ljava/lang/ClassLoader;)V": "load",
    "Ldalvik/system/DexFile;->loadDex(Ljava/lang/String;Ljava/lang/String;I)Ldalvik/system/DexFile;": "load",
    "Landroid/content/pm/PackageInstaller$Session;->commit(Landroid/content/IntentSender;)V": "install",
    "Ljava/lang/Runtime;->exec(Ljava/lang/String;)Ljava/lang/Process;": "install",
    "Ljava/lang/Runtime;->exec([Ljava/lang/String;)Ljava/lang/Process;": "install",
}
EXEMPT_KINDS = {"packer", "hot_update_plugin"}
XOR_OPS = {0x97, 0xB7, 0xDF}  # xor-int, xor-int/2addr, xor-int/lit8
BYTE_ARRAY_OPS = {0x48, 0x4F}  # aget-byte, aput-byte
MAX_DEPTH = 8
ROUTINE_HOPS = 2


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    from gate.core.code import Chain

    code = ctx.code
    runs = [c for c in code.raw_calls(RUN) if not _exempt(ctx, c.caller_class)]
    runs = [c for c in runs if c.category != "install" or not c.api.startswith("Ljava/lang/Runtime;->exec")
            or any("pm install" in s for s in code.strings_in(c.caller))]
    if not runs:
        return
    # The dropper's routine: the method that loads or installs, or one of its callers up to two calls above,
    # that also decrypts or downloads within two calls (Quark's "sequence" and "same data" stages, bounded).
    routines: dict[str, tuple[CallSite, list[Chain], list[str]]] = {}
    for site in runs:
        for routine in _callers_up_to(ctx, site.caller, ROUTINE_HOPS):
            if routine in routines or _exempt(ctx, routine.split("->", 1)[0]):
                continue
            prepared, _ = code.reachable_calls([routine], PREPARE, max_depth=ROUTINE_HOPS)
            xor = [m for m in (routine, site.caller) if _xor_loop(ctx, m)]
            if prepared or xor:
                routines[routine] = (site, prepared, xor)
                break  # the routine nearest to the loading call: one finding per loading call
    if not routines:
        return
    entries = background_entries(ctx)
    if not entries:
        return
    # few routines, many entry points: walk from each routine back to an entry
    chains = [Chain(path, path[-1], "routine") for path in code.paths_between(entries, routines, max_depth=MAX_DEPTH)]
    reported: set[str] = set()
    for chain in sorted(chains, key=lambda c: (len(c.methods), c.methods)):
        routine = chain.api
        if routine in reported:
            continue
        reported.add(routine)
        site, prepared, xor = routines[routine]
        kind = entries.get(chain.methods[0], "startup")
        steps = sorted({c.category for c in prepared} | ({"xor"} if xor else set()))
        act = site.category
        path = chain.methods if chain.methods[-1] == routine else (*chain.methods, routine)
        evidence = [chain_evidence(Chain(path, site.api, act), kind, step="run",
                                   cncert=list(CNCERT))]
        if site.caller != routine:
            evidence.append(Evidence("api", f"{short_method(site.caller)} {act}s: {short_method(site.api)}",
                                     site.caller, extra={"step": act, "api": site.api}))
        evidence += [chain_evidence(c, kind, step=c.category)
                     for c in sorted(prepared, key=lambda c: len(c.methods))[:5]]
        evidence += [Evidence("api", f"{short_method(m)} XORs a byte array in a loop", m, extra={"step": "decrypt"})
                     for m in xor]
        what = " and ".join({"decrypt": "decrypts", "download": "downloads", "xor": "XOR-decodes"}[k] for k in steps)
        what_zh = "、".join({"decrypt": "解密", "download": "下载", "xor": "异或解码"}[k] for k in steps)
        how = {"load": "loads it as code", "install": "installs it"}[act]
        how_zh = {"load": "作为代码加载", "install": "静默安装"}[act]
        where = chain.methods[0].split("->", 1)[0][1:-1].replace("/", ".")
        yield Finding(
            rule_id=RULE.id,
            message=f"{short_method(routine)}, run without the user ({kind}: {where}), {what} a payload and {how}: "
                    "a dropper (CNCERT: 恶意传播, 系统破坏).",
            message_zh=f"{short_method(routine)} 由无需用户操作即会运行的代码"
                       f"（{ENTRY_KIND_ZH.get(kind, kind)}：{where}）调用，{what_zh}载荷后{how_zh}："
                       "构成恶意投放（CNCERT 分类：恶意传播、系统破坏）。",
            evidence=tuple(evidence[:MAX_EVIDENCE]),
        )


def _callers_up_to(ctx: BuildContext, method: str, hops: int) -> list[str]:
    """``method`` and the methods that call it, up to ``hops`` calls above (through the dex's invokes)."""
    out = [method]
    frontier = [method]
    for _ in range(hops):
        if not frontier:
            break
        callers = [c.caller for c in ctx.code.raw_calls({m: "" for m in frontier})]
        frontier = [c for c in dict.fromkeys(callers) if c not in out][:20]
        out += frontier
    return out


def _exempt(ctx: BuildContext, class_desc: str) -> bool:
    sdk = ctx.code.cat.sdk_of(class_desc)
    return sdk is not None and sdk.kind in EXEMPT_KINDS or ctx.code.is_library(class_desc)


def _xor_loop(ctx: BuildContext, method: str) -> bool:
    ops, _ = ctx.code.opcodes(method)
    return bool(ops & XOR_OPS) and ops >= BYTE_ARRAY_OPS

"""A sensitive API is reachable from code that runs before any consent screen can be shown.

Android runs the `Application` class (its constructor, static initialiser, `attachBaseContext` and
`onCreate`) and every `ContentProvider` (`onCreate`) before the first activity appears, so before a privacy
dialog can ask anything. The check follows the app's call graph from those entry points (static and direct
calls, overrides in app subclasses, class initialisers, and `run`/`call` of objects created on the way)
to the sensitive APIs, and reports the shortest chain to each. A thread, task or Handler subclass is followed
only once the walk has seen it created: a task created elsewhere and run through a shared base class is not
a step of the chain.

Why it matters
--------------
Collecting personal information before the user has agreed to the privacy policy is the first item of the
MIIT notices and of the identification method; the typical case is an SDK initialised in
`Application.onCreate` that reads device identifiers at once. Static analysis shows that the call is
possible before consent, so the finding asks for a review, not a verdict.

How to fix
----------
Initialise SDKs only after the user agrees: keep `Application.onCreate` free of SDK `init` calls (most
Chinese SDKs offer a "pre-init" that collects nothing and a full init to call after consent), and move the
code named in the chain behind the consent check. Content providers that SDKs add for auto-initialisation
can be removed from the merged manifest (`tools:node="remove"`).

为何重要
--------
在用户同意隐私政策前收集个人信息，是工信部通报和《App违法违规收集使用个人信息行为认定方法》所列的首
要问题；典型情形是在 `Application.onCreate` 中初始化的第三方 SDK 立即读取设备标识符。静态分析只能表
明该调用可能在用户同意前发生，因此本项要求人工复核，而非直接定性。

如何修复
--------
仅在用户同意后初始化第三方 SDK：`Application.onCreate` 中不要调用 SDK 的 `init`（大多数国内 SDK 提供
不收集任何信息的“预初始化”，以及在用户同意后调用的完整初始化），并将调用链中列出的代码移到同意判断之
后。第三方 SDK 为自动初始化而添加的 `ContentProvider` 可从合并后的清单文件中移除
（`tools:node="remove"`）。

References
----------
TS-01: technical signal of collection reachable before consent.
CN-164-1.1: collecting personal information before the user agrees.
CN-REC-3.1: collecting before consent counts as collecting without consent.

概述
----
敏感接口可从任何同意界面显示之前运行的代码中被调用。Android 在第一个界面出现之前，就会运行 `Application` 类（构造函
数、静态初始化、`attachBaseContext` 和 `onCreate`）和每个 `ContentProvider`（`onCreate`），即隐私弹窗还来不及询问用
户。本检查从这些入口沿应用的调用图（静态和直接调用、子类重写、类初始化，以及途中创建的对象的 `run`/`call`）找到敏感
接口，并报告到达每个接口的最短调用链。

依据
----
`TS-01`：同意前即可到达收集行为的技术特征。
`CN-164-1.1`：在用户同意前收集个人信息。
`CN-REC-3.1`：征得同意前即开始收集，视为未经同意收集。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import MAX_EVIDENCE, categories_zh
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule
from gate.core.sdks import sensitive_apis

RULE = Rule(
    id="PI-PRECONSENT",
    title="Sensitive data reachable before consent",
    title_zh="用户同意前即可调用敏感接口",
    fires_when="a sensitive API is reachable, through the app's own call graph, from code that runs before any "
               "consent screen can: `Application.onCreate`/`attachBaseContext`, `ContentProvider.onCreate`, and "
               "static initialisers of those classes. Evidence: the call chain",
    references=("TS-01", "CN-164-1.1", "CN-REC-3.1"),
    default_outcome=Outcome.WARN,
    rank=100,
)
NOT_PERSONAL = {"dynamic_code", "install_packages"}
APPLICATION_ENTRIES = ("<clinit>()V", "<init>()V", "attachBaseContext(Landroid/content/Context;)V", "onCreate()V")
PROVIDER_ENTRIES = ("<clinit>()V", "<init>()V", "onCreate()Z",
                    "attachInfo(Landroid/content/Context;Landroid/content/pm/ProviderInfo;)V")


def entry_points(ctx: BuildContext) -> list[str]:
    manifest = ctx.manifest
    entries = []
    app_class = manifest.application.get("name")
    if app_class:
        from gate.apk.manifest import class_name

        desc = "L" + class_name(manifest.package, app_class).replace(".", "/") + ";"
        entries += [f"{desc}->{m}" for m in APPLICATION_ENTRIES]
    for comp in manifest.components:
        if comp.kind == "provider" and comp.attrs.get("enabled", "true") != "false":
            desc = "L" + comp.name.replace(".", "/") + ";"
            entries += [f"{desc}->{m}" for m in PROVIDER_ENTRIES]
    return entries


def _short(method: str) -> str:
    if "->" not in method:  # a shell command or a file path reached by a hidden call
        return repr(method)
    cls, member = method.split("->", 1)
    return f"{cls[1:-1].rsplit('/', 1)[-1]}.{member.split('(', 1)[0]}"


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    entries = entry_points(ctx)
    if not entries:
        return
    targets = {sig: cat for sig, cat in sensitive_apis().items() if cat not in NOT_PERSONAL}
    chains, truncated = ctx.code.reachable_calls(entries, targets)
    if not chains:
        return
    evidence = []
    for chain in sorted(chains, key=lambda c: (len(c.methods), c.api)):
        kind, sdk = ctx.code.owner(chain.methods[-1].split("->", 1)[0])
        on_path = sorted({o[1] for m in chain.methods if (o := ctx.code.owner(m.split("->", 1)[0]))[0] == "sdk"})
        evidence.append(Evidence(
            "call_chain", " → ".join([*(_short(m) for m in chain.methods), _short(chain.api)]), chain.methods[0],
            sdk=sdk if kind == "sdk" else None,
            extra={"chain": [*chain.methods, chain.api], "category": chain.category, "sdks_on_path": on_path},
        ))
    categories = sorted({c.category for c in chains})
    message = (f"{len(chains)} sensitive API call(s) ({', '.join(categories)}) are reachable from code that runs "
               "before any consent screen (Application start-up, content providers).")
    message_zh = ("从任何征求同意的界面出现之前即会运行的代码（`Application` 启动过程、`ContentProvider`）出发，"
                  f"经调用链可到达 {len(chains)} 处敏感 API 调用（{categories_zh(categories)}）。")
    if truncated:
        message += " The call graph was too large to follow completely; more may exist."
        message_zh += "调用关系图过大，未能完整追踪，实际可能还有更多。"
    shown = evidence[:MAX_EVIDENCE]
    if len(evidence) > MAX_EVIDENCE:
        shown.append(Evidence("call_chain", f"... and {len(evidence) - MAX_EVIDENCE} more chains", None))
    yield Finding(rule_id=RULE.id, message=message, message_zh=message_zh, evidence=tuple(shown))

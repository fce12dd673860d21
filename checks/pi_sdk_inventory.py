"""Third-party SDK inventory: every vendor SDK found in the APK, with what shows it and the data its vendor
says it collects.

SDKs are recognised from the gate's catalogue (package prefixes and marker classes in the dex, native
libraries, manifest components, assets). Open-source utility libraries are not SDKs and are not listed.
SDK code that is obfuscated under meaningless names cannot be recognised by its packages. Code outside the
app's own package roots that the catalogue does not know is listed as unidentified third-party code, by
package root with its size, so a reviewer can ask the developer what it is. Debug bridges (Stetho,
Flipper, LeakCanary, ...) are listed with their own kind: they do not belong in a release build.

Why it matters
--------------
Regulators hold the app responsible for the SDKs it embeds: the app must list them (第三方SDK目录) with their
purpose and the data they collect. The inventory is what the privacy policy is checked against.

How to fix
----------
Nothing to fix by itself. Keep the app's third-party SDK list complete: name, vendor, purpose, data
collected, and a link to each SDK's privacy policy. Remove SDKs the app no longer uses.

为何重要
--------
监管部门要求应用对其嵌入的第三方 SDK 负责：应用须列出这些 SDK（第三方SDK目录）及其用途和所收集的数
据。本清单是核对隐私政策的依据。

如何修复
--------
本项本身无需整改。请保持应用的第三方 SDK 目录完整：名称、提供方、用途、收集的数据，以及各 SDK 隐私政
策的链接。移除应用已不再使用的 SDK。

References
----------
CN-STD-41391-6.6: GB/T 41391-2022 on third-party SDK disclosure.

概述
----
第三方 SDK 清单：在 APK 中找到的每个第三方 SDK，附识别依据及其提供方声明收集的信息。SDK 依据审核系统的目录识别（dex
中的包名前缀和特征类、原生库、清单组件、资源文件）。开源工具库不属于 SDK，不予列出。以无意义名称混淆的 SDK 代码无法
按包名识别。目录未收录、又不在应用自身包名下的代码，按包名根列为未识别的第三方代码并注明大小，供审核人员向开发者询问
。调试桥（`Stetho`、`Flipper`、`LeakCanary` 等）单独列为一类：它们不应出现在发布版本中。

依据
----
`CN-STD-41391-6.6`：《GB/T 41391-2022》关于披露第三方 SDK 的要求。
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.core.context import BuildContext
from gate.core.labels import SDK_KIND_ZH
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import CheckResult, Params, Rule
from gate.core.sdks import Detected

RULE = Rule(
    id="PI-SDK-INVENTORY",
    title="Third-party SDK inventory",
    title_zh="第三方 SDK 清单",
    fires_when="always, when third-party vendor SDKs are found: each SDK with its vendor, kind, the data its vendor "
               "discloses it collects, and the evidence (packages, classes, native libraries, components)",
    references=("CN-STD-41391-6.6",),
    default_outcome=Outcome.INFO,
    added=True,
    rank=120,
)


MAX_ROOTS = 20
MIN_ROOT_CLASSES = 3


def run(ctx: BuildContext, params: Params) -> CheckResult:
    """The inventory finding, and the inventory itself as the verdict's ``sdks`` fact."""
    found = ctx.sdk_inventory
    return CheckResult(findings=tuple(_finding(ctx, found)), facts={"sdks": [d.to_dict() for d in found]})


def _finding(ctx: BuildContext, found: list[Detected]) -> Iterator[Finding]:
    roots = sorted(((n, r) for r, n in ctx.code.third_party_roots().items() if n >= MIN_ROOT_CLASSES),
                   key=lambda t: (-t[0], t[1]))
    if not found and not roots:
        return
    kinds = sorted({d.sdk.kind for d in found})
    message = (f"{len(found)} third-party SDK(s) found ({', '.join(kinds)}): "
               + ", ".join(d.sdk.name_en for d in found) + ".") if found else "No known third-party SDK found."
    message_zh = (f"发现 {len(found)} 个第三方 SDK，类型为{'、'.join(SDK_KIND_ZH.get(k, k) for k in kinds)}："
                  + "、".join(d.sdk.name_zh for d in found) + "。") if found else "未发现已知的第三方 SDK。"
    if roots:
        shown = ", ".join(f"`{r}` ({n} classes)" for n, r in roots[:MAX_ROOTS])
        shown_zh = "、".join(f"`{r}`（{n} 个类）" for n, r in roots[:MAX_ROOTS])
        more = f" and {len(roots) - MAX_ROOTS} more" if len(roots) > MAX_ROOTS else ""
        more_zh = f"等另外 {len(roots) - MAX_ROOTS} 个" if len(roots) > MAX_ROOTS else ""
        message += f" Unidentified third-party code outside the app's own packages: {shown}{more}."
        message_zh += f"应用自身包之外还有未识别的第三方代码：{shown_zh}{more_zh}。"
    evidence = [
        Evidence("sdk", f"{d.sdk.name_en} ({d.sdk.vendor_en})", d.evidence[0].get("location"), sdk=d.sdk.id,
                 extra={"sdk_kind": d.sdk.kind, "data_collected": list(d.sdk.data_collected),
                        "markers": sorted({str(e.get("marker")) for e in d.evidence if e.get("marker")})})
        for d in found
    ]
    evidence += [Evidence("sdk", f"unidentified third-party code {r} ({n} classes)", f"L{r.replace('.', '/')}/",
                          extra={"owner": "third_party", "root": r, "classes": n})
                 for n, r in roots[:MAX_ROOTS]]
    yield Finding(rule_id=RULE.id, message=message, message_zh=message_zh, evidence=tuple(evidence))

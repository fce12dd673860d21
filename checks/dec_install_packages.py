"""The app can install other apps, and it is not an app store.

Fires on the REQUEST_INSTALL_PACKAGES (or INSTALL_PACKAGES) permission, and on code that installs packages
(the PackageInstaller session API, or an intent for the APK MIME type or ACTION_INSTALL_PACKAGE), when the
listing's app type is not `app_store`. Without a listing the type is unknown and the finding says so.

Why it matters
--------------
Apps that download and install other apps without the user's clear, informed choice are a recurring
"deceiving and misleading" case in the MIIT notices (misleading downloads), and the same capability lets an
app replace itself with code the store never reviewed.

How to fix
----------
Remove REQUEST_INSTALL_PACKAGES unless installing packages is a core, disclosed function (an app store, a
device manager). In-app updates should go through the store. If you keep it, every install must be
started by the user, with the app's name and source shown.

为何重要
--------
未经用户明确、知情的选择就下载并安装其他应用，是工信部通报中反复出现的“欺骗误导用户”情形（误导下载）；
同样的能力还能让应用把自身替换为应用商店从未审核过的代码。

如何修复
--------
除非安装其他应用是应用已公开说明的核心功能（如应用商店、设备管理），否则请移除 `REQUEST_INSTALL_PACKAGES`。
应用内更新应通过应用商店进行。如确需保留，每次安装都必须由用户主动发起，并展示所安装应用的名称和来源。

References
----------
CN-164-3.1: deceiving and misleading users into downloading apps.
TS-10: technical signal of package installation from within the app.

概述
----
应用可以安装其他应用，而它并不是应用商店。当应用申请 `REQUEST_INSTALL_PACKAGES`（或 `INSTALL_PACKAGES`）权限，或代码
会安装应用（`PackageInstaller` 会话接口，或针对 APK 类型、`ACTION_INSTALL_PACKAGE` 的 Intent），且上架信息中的应用类
型不是 `app_store` 时触发。未提供上架信息时无法确定应用类型，发现中会注明这一点。

依据
----
`CN-164-3.1`：欺骗误导用户下载应用。
`TS-10`：应用内安装其他应用的技术特征。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import capped, permission_evidence
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="DEC-INSTALL-PACKAGES",
    title="Installs other apps",
    title_zh="可安装其他应用",
    fires_when="REQUEST_INSTALL_PACKAGES or package-installer use in an app whose type is not `app_store`",
    references=("CN-164-3.1", "TS-10"),
    default_outcome=Outcome.WARN,
    rank=10,
)
PERMISSIONS = ("android.permission.REQUEST_INSTALL_PACKAGES", "android.permission.INSTALL_PACKAGES")
INSTALLER_APIS = (
    "Landroid/content/pm/PackageInstaller;->createSession(Landroid/content/pm/PackageInstaller$SessionParams;)I",
    "Landroid/content/pm/PackageInstaller$Session;->commit(Landroid/content/IntentSender;)V",
)
INSTALL_STRINGS = ("application/vnd.android.package-archive", "android.intent.action.INSTALL_PACKAGE")


def _code_evidence(ctx: BuildContext) -> list[Evidence]:
    code = ctx.code
    evidence = []
    for caller, api in code.instructions_calling(INSTALLER_APIS):
        kind, sdk = code.owner(caller.split("->", 1)[0])
        if kind != "library":
            evidence.append(Evidence("api", api, caller, sdk=sdk if kind == "sdk" else None))
    for text in INSTALL_STRINGS:
        for caller in code.methods_with_string(text):
            kind, sdk = code.owner(caller.split("->", 1)[0])
            if kind != "library":
                evidence.append(Evidence("api", f'intent for "{text}"', caller, sdk=sdk if kind == "sdk" else None))
    return evidence


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    manifest = ctx.manifest
    found = [p for p in PERMISSIONS if p in manifest.permission_names]
    code_evidence = _code_evidence(ctx)
    if not found and not code_evidence:
        return
    category = ctx.listing.category.strip() if ctx.listing and ctx.listing.category else None
    if category == "app_store":
        return
    if category is None:
        why = "and the app type is unknown (no listing or no category), so it cannot be an app store"
        why_zh = "且应用类型未知（无上架信息或未填写应用类型），因此不能认定为应用商店"
    else:
        why = f"but its app type is {category}, not app_store"
        why_zh = f"但其应用类型为 `{category}`，而非 `app_store`"
    how = [p.rsplit(".", 1)[1] for p in found]
    how_zh = [f"`{name}`" for name in how]
    if code_evidence:
        how.append(f"{len(code_evidence)} place(s) in the code")
        how_zh.append(f"代码中 {len(code_evidence)} 处")
    yield Finding(
        rule_id=RULE.id,
        message=f"The app can install other packages ({', '.join(how)}) {why}.",
        message_zh=f"应用可以安装其他应用（{'、'.join(how_zh)}），{why_zh}。",
        evidence=tuple(permission_evidence(manifest, p) for p in found) + capped(code_evidence, "places"),
    )

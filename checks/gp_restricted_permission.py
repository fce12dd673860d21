"""A permission Google Play restricts is requested without a matching declaration in the listing.

Restricted on Play: SMS and Call Log permissions, QUERY_ALL_PACKAGES, MANAGE_EXTERNAL_STORAGE,
REQUEST_INSTALL_PACKAGES, ACCESS_BACKGROUND_LOCATION, READ_MEDIA_IMAGES/VIDEO, USE_EXACT_ALARM and others
marked in the gate's permission table. A permission is declared when the listing's `declarations` name
it (full or short name).

Why it matters
--------------
Play allows these permissions only to apps whose core function needs them and that declared it in the
Play Console; undeclared use leads to rejection or removal. A store mirroring Play asks for the same.

How to fix
----------
Remove the permission (often it comes from an SDK and can be removed with `tools:node="remove"`), or
declare its use with the justification Play asks for and add the declaration to the listing.

为何重要
--------
Google Play 只允许核心功能确需这些权限、并已在 Play 管理中心声明的应用使用它们；未声明即使用会导致
被拒或下架。与 Play 规则保持一致的应用商店同样要求声明。

如何修复
--------
移除该权限（它往往由第三方 SDK 引入，可用 `tools:node="remove"` 移除）；或按 Play 的要求说明使用理
由并完成声明，同时在上架信息中添加该声明。

References
----------
GP-02 … GP-09: Google Play's SMS/Call Log, package visibility, all-files access, install, background location,
photo and video, and exact alarm policies.
GP-02: SMS and Call Log permissions.
GP-03: package visibility (QUERY_ALL_PACKAGES).
GP-04: all files access (MANAGE_EXTERNAL_STORAGE).
GP-05: REQUEST_INSTALL_PACKAGES.
GP-06: photo and video permissions.
GP-07: exact alarms.
GP-08: background location.
GP-09: other sensitive permissions requiring declarations.

概述
----
申请了谷歌应用商店限制使用的权限，但上架信息中没有相应的声明。受限权限包括短信和通话记录权限、`QUERY_ALL_PACKAGES`、
`MANAGE_EXTERNAL_STORAGE`、`REQUEST_INSTALL_PACKAGES`、`ACCESS_BACKGROUND_LOCATION`、`READ_MEDIA_IMAGES/VIDEO`、
`USE_EXACT_ALARM` 以及审核系统权限表中标注的其他权限。上架信息的 `declarations` 中列出该权限（完整名称或简称）即视为
已声明。

依据
----
`GP-02` 至 `GP-09`：谷歌应用商店关于短信和通话记录、应用可见性、所有文件访问、安装应用、后台位置、照片和视频以及精确
闹钟的政策。
`GP-02`：短信和通话记录权限。
`GP-03`：应用可见性（`QUERY_ALL_PACKAGES`）。
`GP-04`：所有文件访问权限（`MANAGE_EXTERNAL_STORAGE`）。
`GP-05`：`REQUEST_INSTALL_PACKAGES` 权限。
`GP-06`：照片和视频权限。
`GP-07`：精确闹钟。
`GP-08`：后台位置信息。
`GP-09`：其他需要声明的敏感权限。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import permission_evidence
from gate.core import reference
from gate.core.context import BuildContext
from gate.core.model import Finding
from gate.core.rules import Params, Rule

RULE = Rule(
    id="GP-RESTRICTED-PERMISSION",
    title="Restricted permission without a declaration",
    title_zh="未声明的 Google Play 受限权限",
    fires_when="SMS/Call Log permissions, QUERY_ALL_PACKAGES, MANAGE_EXTERNAL_STORAGE, REQUEST_INSTALL_PACKAGES, "
               "ACCESS_BACKGROUND_LOCATION, READ_MEDIA_IMAGES/VIDEO, USE_EXACT_ALARM without a matching declaration "
               "in the listing",
    references=("GP-02", "GP-03", "GP-04", "GP-05", "GP-06", "GP-07", "GP-08", "GP-09"),
    default_outcome="off",
    rank=20,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    table = reference.permissions()
    manifest = ctx.manifest
    restricted = [p for p in manifest.permission_names if p in table and table[p].restricted_on_play]
    if not restricted:
        return
    declared = {d.strip() for d in (ctx.listing.declarations if ctx.listing else ())}
    declared |= {d.rsplit(".", 1)[-1] for d in declared}
    missing = [p for p in restricted if p not in declared and p.rsplit(".", 1)[-1] not in declared]
    if not missing:
        return
    yield Finding(
        rule_id=RULE.id,
        message=f"{len(missing)} permission(s) restricted on Google Play are requested without a declaration: "
                + ", ".join(p.rsplit(".", 1)[-1] for p in missing) + ".",
        message_zh=f"{len(missing)} 个在 Google Play 受限的权限未经声明即被申请："
                   + "、".join(f"`{p.rsplit('.', 1)[-1]}`" for p in missing) + "。",
        evidence=tuple(permission_evidence(manifest, p) for p in missing),
    )

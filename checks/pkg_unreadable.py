"""The upload is not a readable APK.

The gate opens the ZIP archive, decodes AndroidManifest.xml (Android binary XML), checks the header of every
root `classes*.dex` file and walks each dex's class data to every method body. Anything that fails (a
damaged or truncated archive, duplicate entries, no manifest, a manifest that does not decode, a dex header
that is broken or disagrees with the file's size) is reported with what exactly could not be read.

Why it matters
--------------
A store must review what it lists; an app it cannot read cannot be reviewed, and a file that parses
differently in different tools is a classic way to show a reviewer one app and install another. Network
data security rules hold the platform responsible for what it distributes.

How to fix
----------
Rebuild and re-sign the APK with the standard Android build tools and upload the complete file. Check it
locally with `apksigner verify` and `aapt2 dump badging` before uploading. Patch files, plugin payloads
and bare ZIPs are not installable apps.

为何重要
--------
应用商店必须审核其上架的应用；无法读取的应用就无法审核，而在不同工具中解析结果不同的文件，正是向审
核方展示一个应用、实际安装另一个应用的惯用手法。网络数据安全相关法规要求平台对其分发的应用负责。

如何修复
--------
请使用标准的 Android 构建工具重新构建并重新签名 APK，并上传完整的文件。上传前请在本地
用 `apksigner verify` 和 `aapt2 dump badging` 检查。补丁文件、插件载荷和单纯的 ZIP 包都不是可安装
的应用。

References
----------
CN-NDSR-41: the network data security regulation's duties for platforms that distribute apps.

概述
----
上传的文件不是可读取的 APK。审核系统打开 ZIP 压缩包，解码 `AndroidManifest.xml`（Android 二进制 XML），检查每个根目
录下 `classes*.dex` 文件的文件头，并遍历每个 dex 的类数据直至每个方法体。任何一步失败（压缩包损坏或被截断、条目重复
、缺少清单文件、清单文件无法解码、dex 文件头损坏或与文件大小不符），都会报告具体无法读取的内容。

依据
----
`CN-NDSR-41`：《网络数据安全管理条例》对应用分发平台规定的义务。
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.core.context import BuildContext, IntakeError
from gate.core.model import Finding, Outcome
from gate.core.rules import Params, Rule, Stage

RULE = Rule(
    id="PKG-UNREADABLE",
    title="The upload is not a readable APK",
    title_zh="上传文件不是可读取的 APK",
    fires_when="the upload is not a readable APK: bad zip, no or unparsable AndroidManifest.xml, unparsable "
               "classes*.dex",
    references=("CN-NDSR-41",),
    default_outcome=Outcome.BLOCK,
    stage=Stage.INTAKE,
    order=1,
    rank=10,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    try:
        ctx.zip  # noqa: B018 - opening the archive is the check
        ctx.manifest  # noqa: B018
        ctx.dex_headers  # noqa: B018
        ctx.dex_files  # noqa: B018 - class data of every dex
    except IntakeError as exc:
        yield Finding(rule_id=exc.rule_id, message=exc.message, message_zh=exc.message_zh, evidence=exc.evidence)

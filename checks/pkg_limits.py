"""The upload exceeds a size or structure limit of the gate.

Measured from the ZIP directory before anything is decompressed or parsed: the upload's size, the
number of entries, the total unpacked size, the compression ratio of the whole archive and of each
large entry, and the sizes of AndroidManifest.xml and of each dex file. The limits come from the policy.

Why it matters
--------------
Zip bombs and entry floods are built to exhaust the reviewer: a few kilobytes that unpack to gigabytes,
or millions of entries. A store that analyses such an upload can be taken down by one submission; it
must refuse it before parsing. No real app comes near these limits.

How to fix
----------
Upload the APK as produced by the Android build tools (aapt2/bundletool and zipalign). Remove padding,
nested archives and oversized assets; large content belongs in downloadable resources.

为何重要
--------
ZIP 炸弹和海量条目是专为拖垮审核系统而构造的：几 KB 的文件可解压出数 GB 的数据，或包含数百万个条
目。应用商店若分析此类上传，一次提交就可能使其瘫痪，因此必须在解析之前予以拒绝。正常应用远不会接近
这些上限。

如何修复
--------
请上传由 Android 构建工具（`aapt2/bundletool` 和 `zipalign`）直接生成的 APK。移除填充数据、嵌套压缩包
和超大资源文件；大体积内容应改为可下载的资源。

References
----------
No regulation clause: a store's own safeguard for its review pipeline.

概述
----
上传的文件超出了审核系统的大小或结构限制。在解压或解析任何内容之前，先从 ZIP 目录读取：文件大小、条目数、解压后总大
小、整个压缩包及每个大条目的压缩比，以及 `AndroidManifest.xml` 和每个 dex 文件的大小。各项上限由审核策略设定。

依据
----
无对应法规条款：这是应用商店为保护自身审核流程而设的安全措施。
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule, Stage

RULE = Rule(
    id="PKG-LIMITS",
    title="The upload exceeds a size or structure limit",
    title_zh="上传文件超出大小或结构限制",
    fires_when="the upload exceeds a configured limit: compressed size, entry count, total uncompressed size, "
               "compression ratio (zip bomb), manifest size",
    references=(),
    default_outcome=Outcome.BLOCK,
    stage=Stage.INTAKE,
    order=0,
    rank=20,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    violations = ctx.limit_violations()
    if not violations:
        return
    described = "; ".join(v.describe() for v in violations)
    described_zh = "；".join(v.describe_zh() for v in violations)
    yield Finding(
        rule_id=RULE.id,
        message=f"The upload was not analysed because it exceeds the gate's limits: {described}.",
        message_zh=f"上传文件超出审核系统的限制，因此未予分析：{described_zh}。",
        evidence=tuple(
            Evidence("file", f"{v.limit}={v.value:g} (max {v.maximum:g})", v.entry or "(archive)")
            for v in violations
        ),
    )

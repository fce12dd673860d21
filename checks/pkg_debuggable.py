"""The build is debuggable (`android:debuggable="true"`).

Why it matters
--------------
A debuggable app lets anyone with a USB cable attach a debugger, read its private files and change its
behaviour at run time: the personal information it holds is no longer protected. A store build must
never be debuggable.

How to fix
----------
Upload a release build. Remove `android:debuggable` from AndroidManifest.xml and let the build type
decide it (`debuggable false` is the default for release in Gradle).

为何重要
--------
可调试的应用允许任何人通过 USB 数据线连接调试器、读取其私有文件并在运行时修改其行为：应用保存的个
人信息将不再受到保护。上架应用商店的版本绝不能是可调试的。

如何修复
--------
请上传正式发布（`release`）版本。从 `AndroidManifest.xml` 中删除 `android:debuggable`，交由构建类型决定
（`Gradle` 中 `release` 构建默认即为 `debuggable false`）。

References
----------
No specific regulation clause; a baseline of the security duties that CN-PIPL and the MIIT notices assume.

概述
----
该版本可被调试（`android:debuggable="true"`）。

依据
----
无具体法规条款；这是《个人信息保护法》和工信部通知所要求的安全义务的基本要求。
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PKG-DEBUGGABLE",
    title="Debuggable build",
    title_zh="可调试的构建",
    fires_when="`android:debuggable=\"true\"`",
    references=(),
    default_outcome=Outcome.BLOCK,
    rank=50,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    if ctx.manifest.app_flag("debuggable"):
        yield Finding(
            rule_id=RULE.id,
            message="The application is marked debuggable (android:debuggable=\"true\").",
            message_zh="应用被标记为可调试（android:debuggable=\"true\"）。",
            evidence=(Evidence("manifest", 'android:debuggable="true"', "AndroidManifest.xml <application>"),),
        )

"""The app or an SDK in it reads non-resettable device identifiers (IMEI/MEID, IMSI, ICCID, serial number,
MAC address, Android ID).

Each call site is named with the method making the call and the SDK that method belongs to. Calls made
inside open-source libraries (for example AndroidX's TelephonyManagerCompat) are followed to the SDK or app
code that calls them. `Settings.Secure.getString` counts only with the `"android_id"` key.

Why it matters
--------------
Permanent device identifiers let the app and its SDKs follow a user across apps and resets; the MIIT notices
name collecting them beyond need, or before consent, as the most frequent violation, and the national
standard lists them as device information to be collected only with consent and a stated purpose.

How to fix
----------
Do not read IMEI, IMSI, serial number or MAC address (from Android 10 they are not available to ordinary
apps anyway). Use an app-scoped random ID, or the OAID from the MSA SDK where a device ID is truly needed,
only after consent. Configure SDKs not to collect device IDs (most Chinese SDKs have a switch) and list each
identifier in the privacy policy.

为何重要
--------
永久性的设备标识符使应用及其第三方 SDK 能够跨应用、跨设备重置追踪用户；工信部通报将超出必要范围或在
用户同意前收集设备标识符列为最常见的违规行为，国家标准也将其列为设备信息，只有在取得用户同意并说明目
的后方可收集。

如何修复
--------
不要读取 IMEI、IMSI、序列号或 MAC 地址（自 Android 10 起普通应用本就无法获取）。确需设备标识时，在用
户同意后使用应用范围内的随机 ID，或使用移动安全联盟（MSA）SDK 提供的 OAID。将第三方 SDK 配置为不收集
设备标识符（大多数国内 SDK 都提供相应开关），并在隐私政策中逐项列明所收集的标识符。

References
----------
CN-164-1.1: collecting personal information (device identifiers) without consent or beyond need.
CN-STD-41391-ANNEXF: GB/T 41391-2022 annex on device information.

概述
----
应用或其中的 SDK 读取不可重置的设备标识符（IMEI/MEID、IMSI、ICCID、序列号、MAC 地址、Android ID）。每处调用都列出发
起调用的方法及该方法所属的 SDK。开源库（如 `AndroidX` 的 `TelephonyManagerCompat`）内部的调用会追溯到调用它们的 SDK
或应用代码。`Settings.Secure.getString` 只在使用 `"android_id"` 键时计入。

依据
----
`CN-164-1.1`：未经同意或超出必要范围收集个人信息（设备标识符）。
`CN-STD-41391-ANNEXF`：《GB/T 41391-2022》关于设备信息的附录。
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import call_site_finding
from gate.core.context import BuildContext
from gate.core.model import Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PI-DEVICE-ID",
    title="Reads non-resettable device identifiers",
    title_zh="读取不可重置的设备标识符",
    fires_when="reads a non-resettable device identifier: IMEI/MEID, IMSI, ICCID, serial, MAC, Android ID",
    references=("CN-164-1.1", "CN-STD-41391-ANNEXF"),
    default_outcome=Outcome.WARN,
    rank=50,
)


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    finding = call_site_finding(ctx, RULE.id, "device_id", "read non-resettable device identifiers",
                                "读取不可重置的设备标识符")
    if finding:
        yield finding

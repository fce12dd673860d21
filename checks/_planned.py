"""Rules of the contract (rules.md) that no check implements yet: listed so that the catalogue, `gate rules` and
the rule pages show them as planned. The module that implements one declares its own `RULE` (which wins over
the entry here); delete the entry in the same change (tests/test_registry.py fails until then)."""

from __future__ import annotations

from gate.core.model import Outcome
from gate.core.rules import Rule, Status

PLANNED = (
    Rule(
        id="MAL-PREMIUM-SMS", title="Premium SMS or silent payment", title_zh="恶意扣费短信或静默支付",
        fires_when="SMS sent without a user action (from receivers, services, start-up, timers), to numbers built "
                   "in code, or a silent subscription or payment (恶意扣费, 资费消耗)",
        references=("CNCERT-8",), default_outcome=Outcome.BLOCK, status=Status.PLANNED, rank=10,
    ),
    Rule(
        id="MAL-SMS-INTERCEPT", title="Incoming SMS intercepted", title_zh="拦截接收的短信",
        fires_when="an `SMS_RECEIVED` receiver that aborts the broadcast, deletes messages or forwards their bodies "
                   "(信息窃取, 恶意扣费)",
        references=("CNCERT-8",), default_outcome=Outcome.BLOCK, status=Status.PLANNED, rank=20,
    ),
    Rule(
        id="MAL-REMOTE-CONTROL", title="Remote control of the device", title_zh="远程控制设备",
        fires_when="commands received from the network, SMS or push dispatched to camera, microphone, SMS, call "
                   "log, contacts, location, files or a shell (远程控制, 信息窃取)",
        references=("CNCERT-8",), default_outcome=Outcome.BLOCK, status=Status.PLANNED, rank=30,
    ),
    Rule(
        id="MAL-DROPPER", title="Payload loaded or installed without the user", title_zh="未经用户同意加载或安装载荷",
        fires_when="a payload decrypted or downloaded, then loaded or installed without the user (恶意传播, 系统破坏)",
        references=("CNCERT-8",), default_outcome=Outcome.BLOCK, status=Status.PLANNED, rank=40,
    ),
    Rule(
        id="MAL-IMPERSONATION", title="Impersonates a well-known app", title_zh="仿冒知名应用",
        fires_when="the package name or app name of a well-known app, signed by a certificate that is not its "
                   "publisher's (诱骗欺诈)",
        references=("CNCERT-8", "TS-14"), default_outcome=Outcome.BLOCK, status=Status.PLANNED, rank=50,
    ),
    Rule(
        id="MAL-ROGUE", title="Rogue behaviour: hides, resists uninstall or locks the screen",
        title_zh="流氓行为：隐藏图标、阻止卸载或锁屏勒索",
        fires_when="hides its launcher icon after install, uses device admin to resist uninstall, an accessibility "
                   "service that clicks or grants for the user, or locks the screen for ransom (流氓行为, 系统破坏)",
        references=("CNCERT-8",), default_outcome=Outcome.BLOCK, status=Status.PLANNED, rank=60,
    ),
)

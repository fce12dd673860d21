"""Rules of the contract (rules.md) that no check implements yet: listed so that the catalogue, `gate rules` and
the rule pages show them as planned. The module that implements one declares its own `RULE` (which wins over
the entry here); delete the entry in the same change (tests/test_registry.py fails until then)."""

from __future__ import annotations

from gate.core.model import Outcome
from gate.core.rules import Rule, Status

# (id, title, Chinese title, fires when, references), in the contract's order; all block by default.
_ROWS = (
    ("MAL-PREMIUM-SMS", "Premium SMS or silent payment", "恶意扣费短信或静默支付",
     "SMS sent without a user action (from receivers, services, start-up, timers), to numbers built in code, or a "
     "silent subscription or payment (恶意扣费, 资费消耗)", ("CNCERT-8",)),
    ("MAL-SMS-INTERCEPT", "Incoming SMS intercepted", "拦截接收的短信",
     "an `SMS_RECEIVED` receiver that aborts the broadcast, deletes messages or forwards their bodies "
     "(信息窃取, 恶意扣费)", ("CNCERT-8",)),
    ("MAL-REMOTE-CONTROL", "Remote control of the device", "远程控制设备",
     "commands received from the network, SMS or push dispatched to camera, microphone, SMS, call log, contacts, "
     "location, files or a shell (远程控制, 信息窃取)", ("CNCERT-8",)),
    ("MAL-DROPPER", "Payload loaded or installed without the user", "未经用户同意加载或安装载荷",
     "a payload decrypted or downloaded, then loaded or installed without the user (恶意传播, 系统破坏)",
     ("CNCERT-8",)),
    ("MAL-IMPERSONATION", "Impersonates a well-known app", "仿冒知名应用",
     "the package name or app name of a well-known app, signed by a certificate that is not its publisher's "
     "(诱骗欺诈)", ("CNCERT-8", "TS-14")),
    ("MAL-ROGUE", "Rogue behaviour: hides, resists uninstall or locks the screen",
     "流氓行为：隐藏图标、阻止卸载或锁屏勒索",
     "hides its launcher icon after install, uses device admin to resist uninstall, an accessibility service that "
     "clicks or grants for the user, or locks the screen for ransom (流氓行为, 系统破坏)", ("CNCERT-8",)),
)

PLANNED = tuple(
    Rule(id=rule_id, title=title, title_zh=title_zh, fires_when=fires_when, references=references,
         default_outcome=Outcome.BLOCK, status=Status.PLANNED, rank=10 * (i + 1))
    for i, (rule_id, title, title_zh, fires_when, references) in enumerate(_ROWS)
)

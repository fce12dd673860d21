"""Cleartext HTTP is allowed.

Read from `android:usesCleartextTraffic` and from the network security configuration
(`android:networkSecurityConfig`): a `base-config` or `domain-config` with
`cleartextTrafficPermitted="true"`. Where nothing is said, Android allows cleartext for apps that target
API 27 or lower, and so does this check.

Why it matters
--------------
Personal information sent over plain HTTP can be read and changed by anyone on the network path (public
Wi-Fi, a hostile hotspot). Chinese rules require technical measures that keep collected personal
information secure in transit.

How to fix
----------
Serve every endpoint over HTTPS and set `android:usesCleartextTraffic="false"`, or add a network
security configuration whose `base-config` sets `cleartextTrafficPermitted="false"`. If one legacy host
truly needs HTTP, allow it alone in a `domain-config` and plan its migration.

为何重要
--------
通过明文 HTTP 传输的个人信息，网络路径上的任何人（公共 Wi-Fi、恶意热点）都能读取和篡改。我国法规要
求采取技术措施，保障所收集的个人信息在传输过程中的安全。

如何修复
--------
所有接口均改用 HTTPS，并设置 `android:usesCleartextTraffic="false"`；或添加网络安全配置，在
其 `base-config` 中设置 `cleartextTrafficPermitted="false"`。若确有某个遗留域名必须使用 HTTP，请只
在 `domain-config` 中单独放行该域名，并制定迁移计划。

References
----------
No specific clause: the security safeguards of CN-PIPL Art. 51 and the MIIT notices assume encrypted
transport.

概述
----
允许明文 HTTP 传输。从 `android:usesCleartextTraffic` 和网络安全配置（`android:networkSecurityConfig`）中读取：设置
了 `cleartextTrafficPermitted="true"` 的 `base-config` 或 `domain-config`。未作设置时，Android 对目标 API 级别为 27
及以下的应用默认允许明文传输，本检查亦然。

依据
----
无具体条款：《个人信息保护法》第五十一条的安全保护措施和工信部各项通知均以加密传输为前提。
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PKG-CLEARTEXT",
    title="Cleartext HTTP allowed",
    title_zh="允许明文 HTTP 传输",
    fires_when="cleartext HTTP allowed (`usesCleartextTraffic`, network security config)",
    references=(),
    default_outcome=Outcome.INFO,
    rank=90,
)


def _permitted(attrs: dict[str, str]) -> bool | None:
    value = attrs.get("cleartextTrafficPermitted")
    if value is None:
        return None
    return value.strip().lower() == "true"


def _config_evidence(ctx: BuildContext, path: str, root: Any, target: int) -> list[Evidence]:
    evidence = []
    base_seen = False
    for tag, attrs, element in ctx.iter_children(root):
        if tag == "base-config":
            base_seen = True
            if _permitted(attrs) or (_permitted(attrs) is None and target < 28):
                evidence.append(Evidence("file", "base-config cleartextTrafficPermitted=true", path))
        elif tag == "domain-config" and _permitted(attrs):
            domains = [str(child.text or "").strip() for child in element if str(child.tag).endswith("domain")]
            evidence.append(Evidence("file", "domain-config cleartextTrafficPermitted=true for "
                                     + ", ".join(d for d in domains if d), path))
    if not base_seen and target < 28:
        evidence.append(Evidence("file", f"no base-config: cleartext allowed by default (targetSdk {target} < 28)",
                                 path))
    return evidence


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    manifest = ctx.manifest
    target = manifest.target_sdk
    flag = manifest.app_flag("usesCleartextTraffic")
    evidence: list[Evidence] = []
    config_ref = manifest.application.get("networkSecurityConfig")
    config = ctx.resource_xml(config_ref) if config_ref else None
    if config is not None:
        evidence.extend(_config_evidence(ctx, config[0], config[1], target))
    if flag:
        evidence.append(Evidence("manifest", 'android:usesCleartextTraffic="true"',
                                 "AndroidManifest.xml <application>"))
    elif flag is None and config is None and target < 28:
        evidence.append(Evidence("manifest", f"usesCleartextTraffic not set: allowed by default for targetSdk {target}",
                                 "AndroidManifest.xml <application>"))
    if evidence:
        yield Finding(
            rule_id=RULE.id,
            message="The app allows cleartext (unencrypted) HTTP traffic.",
            message_zh="应用允许明文 HTTP（未加密）通信。",
            evidence=tuple(evidence),
        )

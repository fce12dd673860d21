"""The signing certificate differs from the one of earlier accepted versions of the package at this store,
or from the certificate fingerprint recorded with the APP filing.

A key rotated with APK Signature Scheme v3 (the new certificate's lineage contains the old one) is a
legitimate change and is not reported.

Why it matters
--------------
Only the holder of the signing key can publish updates of a package; a new key on a known package means
someone else built it: a repackaged copy, often with injected SDKs or malware, passed off as an update.
The APP filing records the certificate, and the store must not distribute apps that do not match it.

How to fix
----------
Sign the update with the same key as the earlier versions (or rotate keys properly with APK Signature
Scheme v3 lineage). If the key was really lost or compromised, contact the store and update the APP filing
before uploading; the new certificate's fingerprint must match the filed one.

为何重要
--------
只有持有签名密钥的开发者才能发布该包名的更新；已知包名换用了新的密钥，说明安装包是他人构建的：往往
是被二次打包、注入了第三方 SDK 或恶意代码的仿冒版本，却冒充更新发布。APP 备案登记了签名证书，应用
商店不得分发与备案不符的应用。

如何修复
--------
请使用与此前版本相同的密钥为更新签名（或按 APK 签名方案 v3 的证书轮换链（`lineage`）规范地轮
换密钥）。若密钥确已丢失或泄露，请在上传前联系应用商店并变更 APP 备案信息；新签名证书的指纹必须与
备案登记的一致。

References
----------
TS-14: technical signal of repackaging (certificate change).
CN-FILING-1: the filing records the signing certificate; distributed apps must match it.

概述
----
签名证书与本应用商店此前通过的该应用版本不同，或与 APP 备案登记的证书指纹不符。以 APK 签名方案 v3 轮换的密钥（新证书
的谱系中包含旧证书）属于正当变更，不予报告。

依据
----
`TS-14`：重新打包的技术特征（证书变更）。
`CN-FILING-1`：备案登记了签名证书，分发的应用必须与之一致。
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PKG-CERT-CHANGED",
    title="Signing certificate changed",
    title_zh="签名证书发生变化",
    fires_when="the signing certificate differs from the one of earlier accepted versions of the same package at this"
               " tenant, or from the certificate fingerprint filed with the listing",
    references=("TS-14", "CN-FILING-1"),
    default_outcome=Outcome.BLOCK,
    rank=40,
)


def _norm(fingerprint: str) -> str:
    return fingerprint.replace(":", "").replace(" ", "").lower()


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    report = ctx.signature
    now = {c.sha256 for c in report.certificates}
    if not now:
        return  # unsigned: PKG-SIGNATURE
    lineage = {c.sha256 for s in report.schemes for c in getattr(s, "lineage", ())}
    signer = ", ".join(sorted(now))
    evidence = []
    parts_zh = []
    filed = ctx.listing.filing_cert_sha256 if ctx.listing else None
    if filed and _norm(filed) not in now | lineage:
        evidence.append(Evidence("listing", f"filed certificate {_norm(filed)}, signed by {signer}",
                                 "listing.filing_cert_sha256"))
        parts_zh.append(f"APP 备案登记的签名证书为 `{_norm(filed)}`，而本版本的签名证书为 `{signer}`")
    if ctx.history is not None:
        accepted = [v for v in ctx.history.versions(ctx.manifest.package)
                    if v.get("verdict") in ("pass", "warn") and v.get("certificates")]
        known = {c for v in accepted for c in v["certificates"]}
        if accepted and not (known & (now | lineage)):
            last = accepted[-1]
            evidence.append(Evidence(
                "history", f"earlier accepted versions are signed by {', '.join(sorted(known))}; this one by {signer}",
                f"build {last.get('build_id')} (version {last.get('version_name')}, code {last.get('version_code')})",
                extra={"previous_certificates": sorted(known)}))
            earlier_zh = "、".join(f"`{k}`" for k in sorted(known))
            parts_zh.append(f"此前通过审核的版本由 {earlier_zh} 签名，本版本由 `{signer}` 签名")
    if evidence:
        yield Finding(rule_id=RULE.id,
                      message="The signing certificate is not the one this package is known by: "
                              + "; ".join(e.value for e in evidence) + ".",
                      message_zh="签名证书与该包名已知的签名证书不一致：" + "；".join(parts_zh) + "。",
                      evidence=tuple(evidence))

"""The APK is unsigned, its signature does not verify, or it is signed only with a debug or public test key.

The gate verifies every signature scheme present (v1 JAR signing, v2, v3/v3.1) itself: the signature over
the signed data, the certificate's public key, and the digests of the signed content, so a file changed
after signing is caught. A signer whose subject is `CN=Android Debug` is the SDK's debug key. A signer whose
certificate is one of the published keys of `gate/data/public_keys.json` (the AOSP test keys `testkey`,
`platform`, `shared`, `media`, `networkstack`, `bluetooth`, `nfc`, `sdk_sandbox`, `cts_uicc_2021`, whose private
keys ship with the Android source) is a public test key; the file gives each certificate's source and the DER
itself, so its digest can be recomputed. Several of them share one subject, so they are matched by the
certificate's SHA-256, never by subject.

Why it matters
--------------
APP filing records the signing certificate with the package name, and the store must not distribute apps
that do not match their filing. An unsigned or broken signature cannot be tied to any developer; a
debug key is shared by every developer machine, so anyone can sign an "update" with it. The AOSP test keys
are worse: their private keys are published with the Android source, so anyone can sign an update of the
app (and, on a device built with them, a system app); malware has used them for exactly that.

How to fix
----------
Sign the release build with your own release key (`apksigner sign --ks release.jks app.apk`), use
v2 or later signing, and never modify the file after signing (zipalign before signing, not after).
Verify with `apksigner verify -v app.apk`. Record the release certificate's SHA-256 in the APP filing.

为何重要
--------
APP 备案登记了包名及签名证书，应用商店不得分发与备案不符的应用。未签名或签名无效的安装包无法对应到
任何开发者；调试证书的密钥存在于每一台开发机上，任何人都能用它为“更新”签名。AOSP 测试密钥（`testkey`、
`platform` 等）的私钥随 Android 源码公开，任何人都能用它为该应用的“更新”签名，恶意程序曾借此冒充系统应用。

如何修复
--------
请使用自己的正式发布密钥为正式发布版本签名（`apksigner sign --ks release.jks app.apk`），采
用 v2 或更高版本的签名方案，且签名后不再修改文件（`zipalign` 应在签名之前执行，而不是之后）。
用 `apksigner verify -v app.apk` 进行验证，并在 APP 备案中登记正式签名证书的 SHA-256 指纹。

References
----------
CN-FILING-1: the APP filing (APP备案) records the package name and signing certificate; platforms must not
distribute unfiled apps.

概述
----
APK 未签名、签名校验失败，或仅以调试密钥或公开的测试密钥签名。审核系统自行校验存在的每种签名方案（v1 JAR 签名、v2、
v3/v3.1）：签名数据上的签名、证书公钥以及签名内容的摘要，因此签名后被改动的文件会被发现。主题为 `CN=Android Debug`
的签名者是开发工具包的调试密钥。证书属于 `gate/data/public_keys.json` 中公开密钥（AOSP 测试密钥 `testkey`、
`platform`、`shared`、`media`、`networkstack`、`bluetooth`、`nfc`、`sdk_sandbox`、`cts_uicc_2021`，其私钥随 Android
源码公开）的签名者使用的是公开测试密钥。其中多个密钥的证书主题相同，因此按证书的 SHA-256 匹配，而不按主题。

依据
----
`CN-FILING-1`：APP 备案登记包名和签名证书；平台不得分发未备案的应用。
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="PKG-SIGNATURE",
    title="Missing, broken or debug signature",
    title_zh="未签名、签名无效或仅用调试证书签名",
    fires_when="unsigned, a signature that does not verify, or signed only with a debug certificate (`CN=Android "
               "Debug`) or a key whose private half is public (the AOSP testkey, platform, shared, media and "
               "networkstack keys, and other published keys)",
    references=("CN-FILING-1",),
    default_outcome=Outcome.BLOCK,
    rank=30,
)


@cache
def public_keys() -> dict[str, dict[str, str]]:
    """sha256 of the DER certificate → the published key's record (name, subject, source)."""
    raw = json.loads(resources.files("gate.data").joinpath("public_keys.json").read_text(encoding="utf-8"))
    return {k["sha256"].lower(): k for k in raw["keys"]}


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    report = ctx.signature
    if not report.signed:
        yield Finding(
            rule_id=RULE.id,
            message="The APK is not signed: it has no v1 (JAR), v2 or v3 signature. Android will not install it "
                    "and it cannot be matched to its filing.",
            message_zh="APK 未签名：没有 v1（JAR）、v2 或 v3 签名。Android 无法安装该安装包，"
                       "也无法将其与 APP 备案对应。",
            evidence=(Evidence("file", "no signature", "META-INF/ and APK Signing Block"),)
            + tuple(Evidence("file", p, "(archive)") for p in report.problems),
        )
        return
    failed = [s for s in report.schemes if not s.verified]
    if report.problems and not failed:
        # Android ignores a damaged APK Signing Block and falls back to v1; a reviewer should not.
        yield Finding(
            rule_id=RULE.id,
            message="The APK carries a damaged APK Signing Block: only its older signature could be checked, "
                    "and a signing block that does not parse is a sign of tampering.",
            message_zh="APK 的 APK Signing Block 已损坏：只能校验其较旧方案的签名，而无法解析的签名块是被篡改的迹象。",
            evidence=tuple(Evidence("file", p, "APK Signing Block") for p in report.problems),
        )
        return
    if failed:
        evidence = []
        for scheme in failed:
            for problem in scheme.problems or ("does not verify",):
                evidence.append(Evidence("file", f"{scheme.scheme}: {problem}", _where(scheme.scheme)))
        names = ", ".join(s.scheme for s in failed)
        names_zh = "、".join(s.scheme for s in failed)
        yield Finding(
            rule_id=RULE.id,
            message=f"The APK's signature does not verify ({names}): the file was changed after signing or "
                    "the signature is damaged.",
            message_zh=f"APK 的签名校验失败（{names_zh}）：文件在签名后被修改，或签名已损坏。",
            evidence=tuple(evidence),
        )
        return
    certs = report.certificates
    public = public_keys()
    if certs and all(c.sha256.lower() in public or c.is_debug for c in certs) and any(
            c.sha256.lower() in public for c in certs):
        keys = sorted({public[c.sha256.lower()]["name"] for c in certs if c.sha256.lower() in public})
        yield Finding(
            rule_id=RULE.id,
            message=f"The APK is signed with a public test key ({', '.join(keys)}): its private key is published "
                    "with the Android source, so anyone can sign an update of this app.",
            message_zh=f"APK 使用公开的测试密钥（{'、'.join(f'`{k}`' for k in keys)}）签名：其私钥随 Android 源码公开，"
                       "任何人都能为该应用的更新签名。",
            evidence=tuple(Evidence("file", c.subject, "signing certificate",
                                    extra={"certificate_sha256": c.sha256,
                                           **({"public_key": public[c.sha256.lower()]["name"],
                                               "source": public[c.sha256.lower()]["source"]}
                                              if c.sha256.lower() in public else {})})
                           for c in certs),
        )
        return
    if certs and all(c.is_debug for c in certs):
        yield Finding(
            rule_id=RULE.id,
            message="The APK is signed only with an Android debug certificate (CN=Android Debug), not a "
                    "release key.",
            message_zh="APK 仅使用 Android 调试证书（CN=Android Debug）签名，而非正式发布密钥。",
            evidence=tuple(Evidence("file", c.subject, "signing certificate", extra={"certificate_sha256": c.sha256})
                           for c in certs),
        )


def _where(scheme: str) -> str:
    return "META-INF/ (JAR signature)" if scheme == "v1" else f"APK Signing Block ({scheme})"

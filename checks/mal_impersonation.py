"""The package name or app name of a well-known app, signed by a certificate that is not its publisher's.

The gate keeps a registry of well-known apps (`gate/data/well_known_apps.json`): package, the names users
know them by, the publisher, and the digests (MD5/SHA-1/SHA-256 of the DER certificate) of the
publisher's signing certificate, each with its source. The rule fires when the upload uses the package of
such an app and none of its signer certificates is the publisher's, or when it calls itself (the
listing's app name, or a literal label in the manifest) by the exact name of such an app under another
package and is not signed by that app's publisher. A package without a known digest cannot be checked
by certificate; the finding never guesses.

Why it matters
--------------
Fake WeChat, Alipay or bank apps are the classic phishing vehicle: users trust the name and icon and type
their passwords. A package name is first come, first served on a third-party store, so a repackaged app
signed with someone else's key can take the real one's place. CNCERT classes this as 诱骗欺诈 (deception
and fraud); the CAC's Qinglang campaigns name copy-cat apps, and the store must keep them off its shelves.

How to fix
----------
Publish under your own package name and an app name that is your own. If you are the publisher of the
well-known app, sign with the same release certificate as the version users already have (or rotate it
with APK Signature Scheme v3), and ask the store to add your certificate digest to the registry.

为何重要
--------
仿冒微信、支付宝或银行的应用是典型的钓鱼手段：用户信任其名称与图标，输入账号密码。第三方应用商店中的包名
先到先得，用他人密钥重新签名的应用可能冒名顶替正版。CNCERT 将其归为“诱骗欺诈”；网信办“清朗”行动亦点名
整治山寨仿冒应用，应用商店须将其拒之门外。

如何修复
--------
请使用自己的包名和自有的应用名称发布。若您就是该知名应用的发布者，请使用与用户已安装版本相同的正式签名证书
（或通过 APK 签名方案 v3 轮换证书）签名，并请商店将您的证书摘要登记到名录中。

References
----------
CNCERT-8: CNCERT's eight malicious behaviours; this rule covers 诱骗欺诈, and the platform's duty to keep
such programs off its shelves.
TS-14: repackaging and clones: a package or name imitating a listed app, a certificate that is not the
publisher's.

概述
----
使用知名应用的包名或应用名称，但签名证书不属于其发布者。审核系统维护一份知名应用名单（
`gate/data/well_known_apps.json`）：包名、用户熟知的名称、发布者及其签名证书的摘要，每项都注明来源。当上传的应用使用
此类应用的包名而签名证书都不属于其发布者，或以其他包名使用此类应用的确切名称（上架信息中的应用名称或清单文件中的标签
）且不是由该发布者签名时触发。没有已知摘要的包名无法按证书核对，发现不做猜测。

依据
----
`CNCERT-8`：国家互联网应急中心（CNCERT）定义的八类恶意行为；本规则对应诱骗欺诈，以及平台不得上架此类程序的责任。
`TS-14`：重新打包和仿冒：包名或名称模仿已上架应用，证书不属于其发布者。
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import Params, Rule

RULE = Rule(
    id="MAL-IMPERSONATION",
    title="Impersonates a well-known app",
    title_zh="仿冒知名应用",
    fires_when="the package name or app name of a well-known app, signed by a certificate that is not its "
               "publisher's (诱骗欺诈)",
    references=("CNCERT-8", "TS-14"),
    default_outcome=Outcome.BLOCK,
    rank=50,
)
CNCERT = ("诱骗欺诈",)


@dataclass(frozen=True)
class WellKnownApp:
    package: str
    names: tuple[str, ...]
    publisher: str
    digests: frozenset[str]  # lowercase hex, any of md5 / sha1 / sha256 of the DER certificate
    source: str


@cache
def registry() -> dict[str, WellKnownApp]:
    raw = json.loads(resources.files("gate.data").joinpath("well_known_apps.json").read_text(encoding="utf-8"))
    out = {}
    for row in raw["apps"]:
        digests = frozenset(d.lower() for values in row.get("digests", {}).values() for d in values)
        out[row["package"]] = WellKnownApp(row["package"], tuple(row["names"]), row["publisher"], digests,
                                           row.get("source", ""))
    return out


@cache
def _by_name() -> dict[str, WellKnownApp]:
    return {_norm(n): app for app in registry().values() for n in app.names}


def _norm(name: str) -> str:
    return "".join(name.split()).casefold()


def run(ctx: BuildContext, params: Params) -> Iterator[Finding]:
    certs = ctx.signature.certificates
    if not certs:
        return  # unsigned: PKG-SIGNATURE
    digests = {c.sha256.lower() for c in certs}
    digests |= {hashlib.md5(c.der).hexdigest() for c in certs} | {hashlib.sha1(c.der).hexdigest() for c in certs}
    cert_evidence = tuple(Evidence("file", c.subject, "signing certificate",
                                   extra={"certificate_sha256": c.sha256,
                                          "certificate_md5": hashlib.md5(c.der).hexdigest(),
                                          "certificate_sha1": hashlib.sha1(c.der).hexdigest()}) for c in certs)
    package = ctx.manifest.package
    app = registry().get(package)
    if app is not None and app.digests and not digests & app.digests:
        yield Finding(
            rule_id=RULE.id,
            message=f"The package {package} is {app.names[0]}'s, published by {app.publisher}, but this APK is not "
                    "signed with the publisher's certificate: an impostor (CNCERT: 诱骗欺诈).",
            message_zh=f"包名 `{package}` 属于 {app.publisher} 发布的“{app.names[0]}”，但此 APK 并非使用该发布者的证书"
                       "签名：属于仿冒应用（CNCERT 分类：诱骗欺诈）。",
            evidence=(Evidence("manifest", package, "AndroidManifest.xml <manifest package>",
                               extra={"publisher": app.publisher, "publisher_digests": sorted(app.digests),
                                      "source": app.source}), *cert_evidence),
        )
        return
    names: list[tuple[str, str]] = []
    if ctx.listing is not None and ctx.listing.app_name:
        names.append((ctx.listing.app_name, "listing app_name"))
    label = ctx.manifest.application.get("label")
    if label and not label.startswith("@"):
        names.append((label, "AndroidManifest.xml <application android:label>"))
    for name, where in names:
        known = _by_name().get(_norm(name))
        if known is None or known.package == package or digests & known.digests:
            continue
        yield Finding(
            rule_id=RULE.id,
            message=f"The app calls itself “{name}”, the name of {known.package} published by {known.publisher}, "
                    f"under another package ({package}) and another certificate: an impostor (CNCERT: 诱骗欺诈).",
            message_zh=f"应用自称“{name}”，即 {known.publisher} 发布的 `{known.package}` 的名称，但包名（`{package}`）"
                       "与签名证书均不相同：属于仿冒应用（CNCERT 分类：诱骗欺诈）。",
            evidence=(Evidence("listing" if where.startswith("listing") else "manifest", name, where,
                               extra={"imitates": known.package, "publisher": known.publisher}), *cert_evidence),
        )
        return

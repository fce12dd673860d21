"""The APK is unsigned, its signature does not verify, or it is signed only with a debug certificate.

The gate verifies every signature scheme present (v1 JAR signing, v2, v3/v3.1) itself: the signature over
the signed data, the certificate's public key, and the digests of the signed content, so a file changed
after signing is caught. A signer whose subject is `CN=Android Debug` is the SDK's debug key.

Why it matters
--------------
APP filing records the signing certificate with the package name, and the store must not distribute apps
that do not match their filing. An unsigned or broken signature cannot be tied to any developer; a
debug key is shared by every developer machine, so anyone can sign an "update" with it.

How to fix
----------
Sign the release build with your own release key (`apksigner sign --ks release.jks app.apk`), use
v2 or later signing, and never modify the file after signing (zipalign before signing, not after).
Verify with `apksigner verify -v app.apk`. Record the release certificate's SHA-256 in the APP filing.

References
----------
CN-FILING-1: the APP filing (APP备案) records the package name and signing certificate; platforms must not
distribute unfiled apps.
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "PKG-SIGNATURE"


def run(ctx: BuildContext) -> Iterator[Finding]:
    report = ctx.signature
    if not report.signed:
        yield Finding(
            rule_id=RULE_ID,
            message="The APK is not signed: it has no v1 (JAR), v2 or v3 signature. Android will not install it "
                    "and it cannot be matched to its filing.",
            evidence=(Evidence("file", "no signature", "META-INF/ and APK Signing Block"),)
            + tuple(Evidence("file", p, "(archive)") for p in report.problems),
        )
        return
    failed = [s for s in report.schemes if not s.verified]
    if report.problems and not failed:
        # Android ignores a damaged APK Signing Block and falls back to v1; a reviewer should not.
        yield Finding(
            rule_id=RULE_ID,
            message="The APK carries a damaged APK Signing Block: only its older signature could be checked, "
                    "and a signing block that does not parse is a sign of tampering.",
            evidence=tuple(Evidence("file", p, "APK Signing Block") for p in report.problems),
        )
        return
    if failed:
        evidence = []
        for scheme in failed:
            for problem in scheme.problems or ("does not verify",):
                evidence.append(Evidence("file", f"{scheme.scheme}: {problem}", _where(scheme.scheme)))
        names = ", ".join(s.scheme for s in failed)
        yield Finding(
            rule_id=RULE_ID,
            message=f"The APK's signature does not verify ({names}): the file was changed after signing or "
                    "the signature is damaged.",
            evidence=tuple(evidence),
        )
        return
    certs = report.certificates
    if certs and all(c.is_debug for c in certs):
        yield Finding(
            rule_id=RULE_ID,
            message="The APK is signed only with an Android debug certificate (CN=Android Debug), not a "
                    "release key.",
            evidence=tuple(Evidence("file", c.subject, "signing certificate", extra={"certificate_sha256": c.sha256})
                           for c in certs),
        )


def _where(scheme: str) -> str:
    return "META-INF/ (JAR signature)" if scheme == "v1" else f"APK Signing Block ({scheme})"

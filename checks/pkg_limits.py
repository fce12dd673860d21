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

References
----------
No regulation clause: a store's own safeguard for its review pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "PKG-LIMITS"
STAGE = "intake"
ORDER = 0


def run(ctx: BuildContext) -> Iterator[Finding]:
    violations = ctx.limit_violations()
    if not violations:
        return
    described = "; ".join(v.describe() for v in violations)
    yield Finding(
        rule_id=RULE_ID,
        message=f"The upload was not analysed because it exceeds the gate's limits: {described}.",
        evidence=tuple(
            Evidence("file", f"{v.limit}={v.value:g} (max {v.maximum:g})", v.entry or "(archive)")
            for v in violations
        ),
    )

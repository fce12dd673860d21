"""Components are exported to other apps without a permission.

Counts activities, activity aliases, services, receivers and providers that other apps can start or bind:
`android:exported="true"`, or no `exported` attribute and an intent filter (providers: targetSdk 16 or
lower), and no `android:permission` (providers: no read and write permission). The launcher activity is
meant to be public and is left out.

Why it matters
--------------
An exported component is an entry point any installed app can call: unprotected ones leak data (open
providers) or let other apps trigger actions (services, receivers). It is context for the reviewer and
for dynamic testing rather than a violation by itself.

How to fix
----------
Set `android:exported="false"` on every component that other apps do not need. For those they do, require
a permission (`android:permission`, ideally with `protectionLevel="signature"`) and validate every
incoming intent.

References
----------
No specific clause: supporting evidence for the security review the store performs.
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "PKG-EXPORTED"


def run(ctx: BuildContext) -> Iterator[Finding]:
    manifest = ctx.manifest
    target = manifest.target_sdk
    open_components = [
        c for c in manifest.components
        if c.exported(target) and not c.guarded and not (c.kind in ("activity", "activity-alias") and c.is_launcher)
    ]
    if not open_components:
        return
    kinds = sorted({c.kind for c in open_components})
    yield Finding(
        rule_id=RULE_ID,
        message=f"{len(open_components)} component(s) are exported without a permission ({', '.join(kinds)}).",
        evidence=tuple(
            Evidence("manifest", c.name, c.location,
                     extra={"component": c.kind, "exported": "explicit" if c.exported_attr else "implicit"})
            for c in open_components
        ),
    )

"""targetSdkVersion is below the policy's floor.

The effective target is the declared `targetSdkVersion`, or `minSdkVersion` when none is declared (as
Android itself does). The floor is set by the policy (cn-default: 30), never in this check.

Why it matters
--------------
An old target opts the app out of the platform's privacy protections: apps targeting API 22 or less get
every dangerous permission at install time, apps below 29/30 keep broad storage and background access.
Chinese app stores jointly require a recent target level, as does Google Play.

How to fix
----------
Raise `targetSdkVersion` in the module's build.gradle to at least the floor named in the finding, then
handle the newer platform behaviours (runtime permissions, scoped storage, exported flags, background
limits) and test the app again.

References
----------
TS-18: technical signal of an outdated target API level.
GP-01: Google Play's target API level requirement.
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "PKG-TARGET-SDK"


def run(ctx: BuildContext) -> Iterator[Finding]:
    manifest = ctx.manifest
    floor = ctx.policy.target_sdk_floor
    target = manifest.target_sdk
    if target >= floor:
        return
    declared = manifest.target_sdk_declared
    how = (f"targetSdkVersion is {target}" if declared is not None
           else f"no targetSdkVersion is declared, so it defaults to minSdkVersion ({target})")
    yield Finding(
        rule_id=RULE_ID,
        message=f"{how}; policy {ctx.policy.name} requires at least {floor}.",
        evidence=(Evidence("manifest", f"targetSdkVersion={target}", "AndroidManifest.xml <uses-sdk>",
                           extra={"floor": floor}),),
        remediation=f"Raise targetSdkVersion to {floor} or higher, then adapt and retest the app for the newer "
                    "platform behaviours.",
    )

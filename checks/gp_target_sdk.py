"""targetSdkVersion is below Google Play's target API level requirement (the google-play pack's floor).

Why it matters
--------------
Google Play only accepts new apps and updates that target a recent API level, so that they get the
platform's current privacy and security behaviour. A store mirroring Play's rules refuses the same builds.

How to fix
----------
Raise `targetSdkVersion` to at least the floor named in the finding and adapt the app to the platform
changes of each level in between (Play publishes the list).

References
----------
GP-01: Google Play's target API level requirement.
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "GP-TARGET-SDK"


def run(ctx: BuildContext) -> Iterator[Finding]:
    target = ctx.manifest.target_sdk
    floor = ctx.policy.play_target_sdk_floor
    if target < floor:
        yield Finding(
            rule_id=RULE_ID,
            message=f"targetSdkVersion is {target}; Google Play requires at least {floor}.",
            evidence=(Evidence("manifest", f"targetSdkVersion={target}", "AndroidManifest.xml <uses-sdk>",
                               extra={"floor": floor}),),
        )

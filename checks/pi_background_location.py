"""The app asks for location in the background (ACCESS_BACKGROUND_LOCATION).

Why it matters
--------------
Location collected while the app is not in use is among the most sensitive collection there is, and the
regulators' tests look for location read in the background or at a frequency the service does not
need. Google Play allows it only after a declaration and review.

How to fix
----------
Remove ACCESS_BACKGROUND_LOCATION unless a core feature needs location while the app is closed (for
example turn-by-turn navigation, family safety). If it does, ask for it separately, after foreground
location, with a clear explanation, and describe it in the privacy policy.

References
----------
GP-08: Google Play's background location policy.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import permission_evidence
from gate.context import BuildContext
from gate.model import Finding

RULE_ID = "PI-BACKGROUND-LOCATION"
PERMISSION = "android.permission.ACCESS_BACKGROUND_LOCATION"


def run(ctx: BuildContext) -> Iterator[Finding]:
    manifest = ctx.manifest
    if PERMISSION in manifest.permission_names:
        yield Finding(
            rule_id=RULE_ID,
            message="The app requests ACCESS_BACKGROUND_LOCATION: it can read the location while it is not in use.",
            evidence=(permission_evidence(manifest, PERMISSION),),
        )

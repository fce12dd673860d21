"""The app can install other apps, and it is not an app store.

Fires on the REQUEST_INSTALL_PACKAGES (or INSTALL_PACKAGES) permission when the listing's app type is not
`app_store`. Without a listing the type is unknown and the finding says so.

Why it matters
--------------
Apps that download and install other apps without the user's clear, informed choice are a recurring
"deceiving and misleading" case in the MIIT notices (misleading downloads), and the same capability lets an
app replace itself with code the store never reviewed.

How to fix
----------
Remove REQUEST_INSTALL_PACKAGES unless installing packages is a core, disclosed function (an app store, a
device manager). In-app updates should go through the store. If you keep it, every install must be
started by the user, with the app's name and source shown.

References
----------
CN-164-3.1: deceiving and misleading users into downloading apps.
TS-10: technical signal of package installation from within the app.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import permission_evidence
from gate.context import BuildContext
from gate.model import Finding

RULE_ID = "DEC-INSTALL-PACKAGES"
PERMISSIONS = ("android.permission.REQUEST_INSTALL_PACKAGES", "android.permission.INSTALL_PACKAGES")


def run(ctx: BuildContext) -> Iterator[Finding]:
    manifest = ctx.manifest
    found = [p for p in PERMISSIONS if p in manifest.permission_names]
    if not found:
        return
    category = ctx.listing.category.strip() if ctx.listing and ctx.listing.category else None
    if category == "app_store":
        return
    if category is None:
        why = "and the app type is unknown (no listing or no category), so it cannot be an app store"
    else:
        why = f"but its app type is {category}, not app_store"
    yield Finding(
        rule_id=RULE_ID,
        message=f"The app can install other packages ({', '.join(p.rsplit('.', 1)[1] for p in found)}) {why}.",
        evidence=tuple(permission_evidence(manifest, p) for p in found),
    )

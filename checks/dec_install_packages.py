"""The app can install other apps, and it is not an app store.

Fires on the REQUEST_INSTALL_PACKAGES (or INSTALL_PACKAGES) permission, and on code that installs packages
(the PackageInstaller session API, or an intent for the APK MIME type or ACTION_INSTALL_PACKAGE), when the
listing's app type is not `app_store`. Without a listing the type is unknown and the finding says so.

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

from checks._base import capped, permission_evidence
from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "DEC-INSTALL-PACKAGES"
PERMISSIONS = ("android.permission.REQUEST_INSTALL_PACKAGES", "android.permission.INSTALL_PACKAGES")
INSTALLER_APIS = (
    "Landroid/content/pm/PackageInstaller;->createSession(Landroid/content/pm/PackageInstaller$SessionParams;)I",
    "Landroid/content/pm/PackageInstaller$Session;->commit(Landroid/content/IntentSender;)V",
)
INSTALL_STRINGS = ("application/vnd.android.package-archive", "android.intent.action.INSTALL_PACKAGE")


def _code_evidence(ctx: BuildContext) -> list[Evidence]:
    code = ctx.code
    evidence = []
    for caller, api in code.instructions_calling(INSTALLER_APIS):
        kind, sdk = code.owner(caller.split("->", 1)[0])
        if kind != "library":
            evidence.append(Evidence("api", api, caller, sdk=sdk if kind == "sdk" else None))
    for text in INSTALL_STRINGS:
        for caller in code.methods_with_string(text):
            kind, sdk = code.owner(caller.split("->", 1)[0])
            if kind != "library":
                evidence.append(Evidence("api", f'intent for "{text}"', caller, sdk=sdk if kind == "sdk" else None))
    return evidence


def run(ctx: BuildContext) -> Iterator[Finding]:
    manifest = ctx.manifest
    found = [p for p in PERMISSIONS if p in manifest.permission_names]
    code_evidence = _code_evidence(ctx)
    if not found and not code_evidence:
        return
    category = ctx.listing.category.strip() if ctx.listing and ctx.listing.category else None
    if category == "app_store":
        return
    if category is None:
        why = "and the app type is unknown (no listing or no category), so it cannot be an app store"
    else:
        why = f"but its app type is {category}, not app_store"
    how = [p.rsplit(".", 1)[1] for p in found]
    if code_evidence:
        how.append(f"{len(code_evidence)} place(s) in the code")
    yield Finding(
        rule_id=RULE_ID,
        message=f"The app can install other packages ({', '.join(how)}) {why}.",
        evidence=tuple(permission_evidence(manifest, p) for p in found) + capped(code_evidence, "places"),
    )

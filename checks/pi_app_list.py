"""The app or an SDK in it reads the list of installed or running apps.

Counts calls such as `PackageManager.getInstalledPackages`, `getInstalledApplications`,
`queryIntentActivities`, `ActivityManager.getRunningAppProcesses`, and the QUERY_ALL_PACKAGES permission
that lets them see every app on Android 11 and later.

Why it matters
--------------
The installed-app list reveals religion, health, finances and habits. MIIT has named apps and SDKs that read
it in the background or at high frequency without need; Google Play restricts QUERY_ALL_PACKAGES to apps
whose core function needs it.

How to fix
----------
Query only the packages you need (`<queries>` in the manifest, `getPackageInfo` for a named package) instead
of listing all apps; remove QUERY_ALL_PACKAGES. Turn off app-list collection in SDKs that offer it (push and
analytics SDKs often do), and disclose any remaining use in the privacy policy.

References
----------
CN-337-3: MIIT notice 337 on reading the app list (installed apps) without need.
GP-03: Google Play's package visibility policy (QUERY_ALL_PACKAGES).
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import capped, permission_evidence, site_evidence, sites, who
from gate.context import BuildContext
from gate.model import Finding

RULE_ID = "PI-APP-LIST"
PERMISSION = "android.permission.QUERY_ALL_PACKAGES"


def run(ctx: BuildContext) -> Iterator[Finding]:
    calls = [site_evidence(ctx, s) for s in sites(ctx, {"app_list"})]
    has_permission = PERMISSION in ctx.manifest.permission_names
    if not calls and not has_permission:
        return
    parts = []
    if calls:
        parts.append(f"{len(calls)} call site(s) read the installed or running apps, {who(ctx, calls)}")
    if has_permission:
        parts.append("the app requests QUERY_ALL_PACKAGES, which makes every installed app visible to it")
    evidence = ((permission_evidence(ctx.manifest, PERMISSION),) if has_permission else ()) + capped(calls)
    yield Finding(rule_id=RULE_ID, message="; ".join(parts).capitalize() + ".", evidence=evidence)

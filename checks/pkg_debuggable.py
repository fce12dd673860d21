"""The build is debuggable (`android:debuggable="true"`).

Why it matters
--------------
A debuggable app lets anyone with a USB cable attach a debugger, read its private files and change its
behaviour at run time: the personal information it holds is no longer protected. A store build must
never be debuggable.

How to fix
----------
Upload a release build. Remove `android:debuggable` from AndroidManifest.xml and let the build type
decide it (`debuggable false` is the default for release in Gradle).

References
----------
No specific regulation clause; a baseline of the security duties that CN-PIPL and the MIIT notices assume.
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "PKG-DEBUGGABLE"


def run(ctx: BuildContext) -> Iterator[Finding]:
    if ctx.manifest.app_flag("debuggable"):
        yield Finding(
            rule_id=RULE_ID,
            message="The application is marked debuggable (android:debuggable=\"true\").",
            evidence=(Evidence("manifest", 'android:debuggable="true"', "AndroidManifest.xml <application>"),),
        )

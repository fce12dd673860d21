"""The upload is not a readable APK.

The gate opens the ZIP archive, decodes AndroidManifest.xml (Android binary XML), checks the header of every
root `classes*.dex` file and walks each dex's class data to every method body. Anything that fails (a
damaged or truncated archive, duplicate entries, no manifest, a manifest that does not decode, a dex header
that is broken or disagrees with the file's size) is reported with what exactly could not be read.

Why it matters
--------------
A store must review what it lists; an app it cannot read cannot be reviewed, and a file that parses
differently in different tools is a classic way to show a reviewer one app and install another. Network
data security rules hold the platform responsible for what it distributes.

How to fix
----------
Rebuild and re-sign the APK with the standard Android build tools and upload the complete file. Check it
locally with `apksigner verify` and `aapt2 dump badging` before uploading. Patch files, plugin payloads
and bare ZIPs are not installable apps.

References
----------
CN-NDSR-41: the network data security regulation's duties for platforms that distribute apps.
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.context import BuildContext, IntakeError
from gate.model import Finding

RULE_ID = "PKG-UNREADABLE"
STAGE = "intake"
ORDER = 1


def run(ctx: BuildContext) -> Iterator[Finding]:
    try:
        ctx.zip  # noqa: B018 - opening the archive is the check
        ctx.manifest  # noqa: B018
        ctx.dex_headers  # noqa: B018
        ctx.dex_files  # noqa: B018 - class data of every dex
    except IntakeError as exc:
        yield Finding(rule_id=exc.rule_id, message=exc.message, evidence=exc.evidence)

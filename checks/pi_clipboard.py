"""The app or an SDK in it reads the clipboard.

Why it matters
--------------
The clipboard holds whatever the user copied last (passwords, addresses, messages). Reading it in the
background or on launch, without the user pasting, is a personal-information violation MIIT has named, and
Android 12 and later show a toast each time it happens.

How to fix
----------
Read the clipboard only when the user pastes (in response to a paste action), never on start-up or in
SDK initialisation. Check SDKs that read it for "smart links" or invitation codes (share and deep-link SDKs)
and switch that off, or disclose it.

References
----------
CN-164-1.1: collecting personal information without consent (clipboard reads named in MIIT notices).
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import call_site_finding
from gate.context import BuildContext
from gate.model import Finding

RULE_ID = "PI-CLIPBOARD"


def run(ctx: BuildContext) -> Iterator[Finding]:
    finding = call_site_finding(ctx, RULE_ID, "clipboard", "read the clipboard")
    if finding:
        yield finding

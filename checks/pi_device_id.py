"""The app or an SDK in it reads non-resettable device identifiers (IMEI/MEID, IMSI, ICCID, serial number,
MAC address, Android ID).

Each call site is named with the method making the call and the SDK that method belongs to. Calls made
inside open-source libraries (for example AndroidX's TelephonyManagerCompat) are followed to the SDK or app
code that calls them. `Settings.Secure.getString` counts only with the `"android_id"` key.

Why it matters
--------------
Permanent device identifiers let the app and its SDKs follow a user across apps and resets; the MIIT notices
name collecting them beyond need, or before consent, as the most frequent violation, and the national
standard lists them as device information to be collected only with consent and a stated purpose.

How to fix
----------
Do not read IMEI, IMSI, serial number or MAC address (from Android 10 they are not available to ordinary
apps anyway). Use an app-scoped random ID, or the OAID from the MSA SDK where a device ID is truly needed,
only after consent. Configure SDKs not to collect device IDs (most Chinese SDKs have a switch) and list each
identifier in the privacy policy.

References
----------
CN-164-1.1: collecting personal information (device identifiers) without consent or beyond need.
CN-STD-41391-ANNEXF: GB/T 41391-2022 annex on device information.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import call_site_finding
from gate.context import BuildContext
from gate.model import Finding

RULE_ID = "PI-DEVICE-ID"


def run(ctx: BuildContext) -> Iterator[Finding]:
    finding = call_site_finding(ctx, RULE_ID, "device_id", "read non-resettable device identifiers")
    if finding:
        yield finding

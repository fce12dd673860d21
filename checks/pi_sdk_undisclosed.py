"""A third-party SDK is in the app but neither the privacy policy nor the declared SDK list names it.

An SDK counts as disclosed when the policy text or the listing's third-party SDK list (第三方SDK目录) names
it: by its Chinese or English name, by its vendor, by a brand word of its name (友盟, JPush, Bugly) or by
its package. Packers are not data-collecting SDKs and are left to PKG-PACKED.

Why it matters
--------------
Apps answer for the SDKs they embed: they must tell users which third parties receive their personal
information, for what, and link each SDK's own policy. Undisclosed SDKs are how most "SDK collects device
IDs" cases reach the regulators' notices.

How to fix
----------
Add each SDK named in the finding to the app's third-party SDK list and to the privacy policy: SDK and
vendor name, purpose, personal information collected, and a link to the vendor's privacy policy. Remove
SDKs the app does not use.

References
----------
CN-REC-2.1: the policy does not state the purpose, method and scope of collection (including by third parties).
CN-PIPL-23: providing personal information to another processor requires informing the user.
CN-STD-41391-6.6: GB/T 41391-2022 on disclosing third-party SDKs.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import listing_missing
from checks._policy_text import sdk_disclosed
from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "PI-SDK-UNDISCLOSED"


def run(ctx: BuildContext) -> Iterator[Finding]:
    inventory = [d for d in ctx.sdk_inventory if d.sdk.kind != "packer"]
    if not inventory:
        return
    if ctx.listing is None:
        yield listing_missing(RULE_ID, "whether the third-party SDKs are disclosed")
        return
    text = (ctx.listing.privacy_policy.text or "") if ctx.listing.privacy_policy else ""
    missing = [d for d in inventory if sdk_disclosed(d.sdk, text, ctx.listing.sdk_list) is None]
    if not missing:
        return
    yield Finding(
        rule_id=RULE_ID,
        message=f"{len(missing)} third-party SDK(s) are not named in the privacy policy or the SDK list: "
                + ", ".join(f"{d.sdk.name_en} ({d.sdk.vendor_en})" for d in missing) + ".",
        evidence=tuple(
            Evidence("sdk", f"{d.sdk.name_en} / {d.sdk.name_zh} ({d.sdk.vendor_zh})", d.evidence[0].get("location"),
                     sdk=d.sdk.id, extra={"data_collected": list(d.sdk.data_collected)})
            for d in missing
        ),
    )

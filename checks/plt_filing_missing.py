"""The listing has no APP filing number (APP备案号), or one that is not of the filing-number form.

An APP filing number has the form `<province>ICP备<digits>号-<n>A`, for example
`粤ICP备2021012345号-3A`: the province's one-character abbreviation, `ICP备`, the operator's filing
number, `号`, then the service's sequence number followed by `A` for an app. A website filing (without
the `A`) or a telecom licence number (`ICP证`) is not an app filing.

Why it matters
--------------
Since the 2023 APP filing notice, apps that provide internet information services in China must be
filed, and distribution platforms must not distribute unfiled apps. The filing number must be shown on
the listing.

How to fix
----------
File the app through your network access provider or the distribution platform in the national ICP
filing system (with the package name and signing certificate), then enter the number exactly as issued,
e.g. `粤ICP备2021012345号-3A`.

References
----------
CN-FILING-1: APP filing duty; platforms must not distribute unfiled apps.
CN-FILING-2: the filing number is shown on the listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks._base import listing_missing
from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "PLT-FILING-MISSING"

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
APP_FILING = re.compile(rf"^[{PROVINCES}]ICP备\d{{8,10}}号-\d{{1,3}}A$")
WEBSITE_FILING = re.compile(rf"^[{PROVINCES}]ICP备\d{{8,10}}号(-\d{{1,3}})?$")


def normalise(number: str) -> str:
    """Drop spaces and use ASCII hyphens and upper case, as people type the number in many ways."""
    text = re.sub(r"\s+", "", number)
    return text.replace("－", "-").replace("—", "-").replace("–", "-").upper()


def run(ctx: BuildContext) -> Iterator[Finding]:
    if ctx.listing is None:
        yield listing_missing(RULE_ID, "the APP filing number")
        return
    raw = ctx.listing.filing_number
    if raw is None or not raw.strip():
        yield Finding(
            rule_id=RULE_ID,
            message="The listing has no APP filing number (APP备案号).",
            evidence=(Evidence("listing", "(none)", "listing.filing_number"),),
        )
        return
    number = normalise(raw)
    if APP_FILING.match(number):
        return
    if WEBSITE_FILING.match(number):
        why = "it is a website filing number; an app's filing number ends in 'A' (e.g. 粤ICP备2021012345号-3A)"
    elif "ICP证" in number:
        why = "it is a telecom business licence (ICP证), not an APP filing number"
    else:
        why = "it is not of the form <province>ICP备<digits>号-<n>A (e.g. 粤ICP备2021012345号-3A)"
    yield Finding(
        rule_id=RULE_ID,
        message=f"The listing's APP filing number {raw!r} is not valid: {why}.",
        evidence=(Evidence("listing", raw, "listing.filing_number"),),
    )

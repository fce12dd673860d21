"""The listing carries no privacy policy, or its text is empty.

The store fetches the policy the developer links to and sends its text with the listing; the gate reads
that text (later rules compare it with what the app collects). A URL with no text means the store could
not fetch it, which counts as no policy.

Why it matters
--------------
An app that collects personal information without a privacy policy, or whose policy cannot be read, is the
first item of the identification method: the rules for collection are not made public. The
Personal Information Protection Law requires clear, complete notice before processing.

How to fix
----------
Publish a privacy policy in Simplified Chinese that states what personal information the app and each
embedded SDK collect, why, how long it is kept and how users exercise their rights. Link it in the listing
(and show it in the app at first launch), and make sure the URL is reachable by the store.

References
----------
CN-REC-1.1: no privacy policy, or the policy has no rules for collecting and using personal information.
CN-PIPL-17: the notice duties of a personal information processor.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks._base import listing_missing
from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "PI-NO-POLICY"


def run(ctx: BuildContext) -> Iterator[Finding]:
    if ctx.listing is None:
        yield listing_missing(RULE_ID, "the privacy policy")
        return
    policy = ctx.listing.privacy_policy
    url = (policy.url or "").strip() if policy else ""
    text = (policy.text or "").strip() if policy else ""
    if text:
        return
    if url:
        message = (f"The listing links a privacy policy ({url}) but carries no text of it: the store could not "
                   "read the policy.")
    elif policy is not None:
        message = "The listing's privacy policy is empty: it has neither text nor URL."
    else:
        message = "The listing carries no privacy policy."
    yield Finding(
        rule_id=RULE_ID,
        message=message,
        evidence=(Evidence("listing", url or "(none)", "listing.privacy_policy"),),
    )

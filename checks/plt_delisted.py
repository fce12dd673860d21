"""The package, or its developer, is on the store's delisted registry (regulators' takedown notices).

Operators load the notices (`gate delist add`, the operators' API, or a bulk import of a notice's list); the
finding names the notice.

Why it matters
--------------
A store must take down apps named in regulators' notices and must not list them again under the same
package or through the same developer; relisting a notified app is a platform violation in its own right.

How to fix
----------
An app on the registry cannot be listed until the store's operators remove it from the registry, after the
regulator confirms the rectification. Contact the store with the notice reference.

References
----------
CN-PIPL-66: penalties for processors (and platforms) that ignore the authorities' orders.
CN-164-4.2: the distribution platform does not take down apps named in notices.
"""

from __future__ import annotations

from collections.abc import Iterator

from gate.context import BuildContext
from gate.model import Evidence, Finding

RULE_ID = "PLT-DELISTED"


def run(ctx: BuildContext) -> Iterator[Finding]:
    if ctx.history is None:
        return
    developer = ctx.listing.developer.id if ctx.listing and ctx.listing.developer else None
    entry = ctx.history.delisted(ctx.manifest.package, developer)
    if entry is None:
        return
    who = f"package {entry['package']}" if entry.get("package") == ctx.manifest.package else \
        f"developer {entry.get('developer')}"
    yield Finding(
        rule_id=RULE_ID,
        message=f"The {who} is on the delisted registry: {entry.get('notice')}.",
        evidence=(Evidence("history", f"notice: {entry.get('notice')}", "delisted registry",
                           extra={k: v for k, v in entry.items()
                                  if k in ("package", "developer", "added_at", "source")}),),
    )

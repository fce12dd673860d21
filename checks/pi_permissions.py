"""Permission inventory: every permission the app requests, with its protection level and data category.

Permissions declared with the prefixed `<android:uses-permission>` element count too (Android installs
them like any other); tools that only read `<uses-permission>` miss them.

Why it matters
--------------
The store must show users which permissions an app uses and why. The inventory ties each permission to
the category of personal information it opens (location, contacts, device identifiers, ...), which the
privacy policy and the app type are later checked against.

How to fix
----------
Nothing to fix by itself. Remove permissions no feature needs, and explain in the privacy policy why each
dangerous one is requested.

References
----------
CN-164-4.1: the store must show the app's permissions and their purposes on the listing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from checks._base import permission_evidence
from gate import catalogue
from gate.context import BuildContext
from gate.model import Finding

RULE_ID = "PI-PERMISSIONS"


def run(ctx: BuildContext) -> Iterator[Finding]:
    manifest = ctx.manifest
    names = manifest.permission_names
    if not names:
        return
    table = catalogue.permissions()
    levels = Counter(table[n].protection if n in table else "unknown" for n in names)
    categories = sorted({c for n in names if n in table and (c := table[n].data_category)})
    summary = ", ".join(f"{count} {level}" for level, count in sorted(levels.items()))
    message = f"The app requests {len(names)} permission(s): {summary}."
    if categories:
        message += f" Data categories: {', '.join(categories)}."
    yield Finding(
        rule_id=RULE_ID,
        message=message,
        evidence=tuple(permission_evidence(manifest, n) for n in names),
    )

"""Small helpers shared by the checks (not a check itself)."""

from __future__ import annotations

from gate import catalogue
from gate.context import BuildContext, Manifest
from gate.model import Evidence, Finding


def permission_evidence(manifest: Manifest, name: str) -> Evidence:
    info = catalogue.permissions().get(name)
    tag = next((p.tag for p in manifest.permissions if p.name == name), "uses-permission")
    extra = {}
    if info is not None:
        extra = {"category": info.data_category, "protection": info.protection}
    return Evidence("permission", name, f"AndroidManifest.xml <{tag}>", extra=extra)


def listing_missing(rule_id: str, needed: str) -> Finding:
    """The finding of a listing-based rule when no listing came with the APK: say so, do not guess."""
    return Finding(
        rule_id=rule_id,
        message=f"No listing was supplied with this build, so {needed} could not be checked.",
        evidence=(Evidence("listing", "(no listing)", "listing"),),
        remediation="Submit the build together with its listing (gate scan --listing FILE, or the "
                    "metadata part of the webhook).",
    )


def app_type_known(ctx: BuildContext) -> str | None:
    """The listing's app type when it is one of the known slugs, else None."""
    if ctx.listing is None or not ctx.listing.category:
        return None
    slug = ctx.listing.category.strip()
    return slug if slug in catalogue.app_types() else None

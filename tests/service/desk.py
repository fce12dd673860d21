"""Helpers of the review desk's tests: a store and decided builds in the record (the repository's own calls,
verdicts from scanning fixture APKs), reviewer accounts."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from gate.record.repository import Record, new_build_id
from tests.conftest import scan_fixture

LISTING = {"category": "utility_tools", "app_name": "Desk Test", "developer": {"name": "Example Ltd", "id": "dev-1"}}
PASSWORDS = {"alice": "alice-password", "bob": "bob-password", "carol": "carol-password"}


@cache
def verdict(fixture: str, listing: str = "complete") -> dict[str, Any]:
    return scan_fixture(fixture, listing).to_dict()


def store(record: Record, url: str, name: str = "store-a", **fields: Any) -> dict[str, str]:
    """A tenant in the record; returns its name, secret and API token."""
    tenant, token = record.add_tenant(name, url, ["127.0.0.1"], secret="whsec_" + "QUJD" * 8)
    if fields:
        record.update_tenant(name, **fields)
    return {"name": tenant.name, "secret": tenant.secret, "token": token}


def decided(record: Record, fixture: str, tenant: str = "store-a", *, listing: dict[str, Any] | None = None,
            now: float | None = None, platform_id: str = "p-1") -> str:
    """A build through the record's own steps: created, then finalized with a real verdict."""
    build_id = new_build_id()
    record.create_build({"build_id": build_id, "tenant": tenant, "status": "queued", "received_at": time.time(),
                         "verdict_token": "vt_" + build_id, "apk_name": f"{fixture}.apk",
                         "platform_build_id": platform_id, "listing": listing or LISTING})
    assert record.finalize(build_id, "done", verdict(fixture), now=now)
    return build_id


def reviewers(record: Record) -> None:
    record.add_reviewer("alice", PASSWORDS["alice"], "reviewer")
    record.add_reviewer("bob", PASSWORDS["bob"], "reviewer")
    record.add_reviewer("carol", PASSWORDS["carol"], "senior")

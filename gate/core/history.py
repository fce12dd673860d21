"""What the gate remembers about a package at one store, as the checks see it (no I/O here).

The service backs this with the record per tenant (gate.record.repository.RecordHistory); `gate scan --history` uses the
same; a plain `gate scan` has no history, and the history rules then stay silent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Protocol


class History(Protocol):
    def versions(self, package: str) -> list[dict[str, Any]]:
        """Earlier decided versions of the package at this store, oldest first: build_id, version_code,
        version_name, certificates (sha256), lineage (sha256), verdict, findings (keys), decided_at."""
        ...

    def delisted(self, package: str, developer_id: str | None) -> dict[str, Any] | None:
        """The registry entry (package, developer, notice, ...) naming this package or developer, if any."""
        ...

    def waivers(self, package: str, developer_id: str | None) -> list[dict[str, Any]]:
        """The store's active waivers for this package or developer (gate.core.waivers matches them to findings):
        a waived finding is no recurring problem."""
        ...


def finding_key(finding: Mapping[str, Any]) -> str:
    """A finding's identity across versions: its rule and what it is about (evidence), not its wording."""
    values = sorted(f"{e.get('kind')}={e.get('value')}" for e in finding.get("evidence", []))
    digest = hashlib.sha256("\n".join(values).encode()).hexdigest()[:16]
    return f"{finding['rule_id']}:{digest}"


def history_entry(build_id: str, verdict: Mapping[str, Any], *, decided_at: float = 0.0) -> dict[str, Any]:
    app = verdict.get("app", {})
    return {
        "build_id": build_id,
        "version_code": app.get("version_code"),
        "version_name": app.get("version_name"),
        "certificates": [c["sha256"] for c in app.get("certificates", [])],
        "verdict": verdict.get("verdict"),
        "findings": sorted({finding_key(f) for f in verdict.get("findings", [])
                            if f.get("outcome") in ("warn", "block") and f.get("rule_id") != "PLT-RECURRENCE"}),
        "decided_at": decided_at,
    }


def diff(current: list[Mapping[str, Any]], previous: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Findings new, fixed and recurring against the previous version (warn and block findings)."""
    if previous is None:
        return None
    now = {finding_key(f): f["rule_id"] for f in current
           if f.get("outcome") in ("warn", "block") and f.get("rule_id") != "PLT-RECURRENCE"}
    before = set(previous.get("findings", []))
    return {
        "against": {"build_id": previous.get("build_id"), "version_code": previous.get("version_code"),
                    "version_name": previous.get("version_name")},
        "new": [{"rule_id": r, "key": k} for k, r in sorted(now.items()) if k not in before],
        "recurring": [{"rule_id": r, "key": k} for k, r in sorted(now.items()) if k in before],
        "fixed": [{"rule_id": k.split(":", 1)[0], "key": k} for k in sorted(before - set(now))],
    }

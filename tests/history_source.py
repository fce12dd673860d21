"""A History (gate.core.history) held in lists: the pure core's input for unit tests. The service's Redis-backed
one (gate.record.repository.RecordHistory) is tested against the record in tests/service and tests/record."""

from __future__ import annotations

from typing import Any

from gate.core.history import history_entry
from gate.core.model import Verdict


class ListHistory:
    def __init__(self) -> None:
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.registry: list[dict[str, Any]] = []
        self.waiver_list: list[dict[str, Any]] = []  # the store's active waivers (package or developer)

    def versions(self, package: str) -> list[dict[str, Any]]:
        return list(self.entries.get(package, []))

    def delisted(self, package: str, developer_id: str | None) -> dict[str, Any] | None:
        for entry in self.registry:
            if entry.get("package") == package or (developer_id and entry.get("developer") == developer_id):
                return entry
        return None

    def waivers(self, package: str, developer_id: str | None) -> list[dict[str, Any]]:
        return [w for w in self.waiver_list
                if w.get("package") == package or (developer_id and w.get("developer") == developer_id)]

    def record(self, build_id: str, verdict: Verdict) -> None:
        assert verdict.app.package
        self.entries.setdefault(verdict.app.package, []).append(history_entry(build_id, verdict.to_dict()))

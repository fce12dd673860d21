"""The build record: one upload from intake to verdict, as the record keeps it and the service passes it on.

The webhook makes it, the record (gate.record.repository) keeps it, the worker, the reaper, the API and the
page read it. Its fields are typed here once; ``from_row``/``to_row`` convert to and from the record's build
dicts, ``to_record``/``from_record`` to and from the older Redis hash (JSON for the nested values, "" for
none), which the one-time import reads.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

FINAL = ("done", "failed")
STATUSES = ("queued", "running", *FINAL)


@dataclass
class Build:
    build_id: str
    tenant: str
    status: str  # one of STATUSES
    verdict_token: str  # the secret part of the verdict page's URL
    received_at: float  # unix seconds
    attempts: int = 0
    platform_build_id: str | None = None  # the store's own id for the build
    listing: dict[str, Any] | None = None  # the listing JSON as the store sent it (validated at intake)
    apk_name: str | None = None
    apk_path: str | None = None  # on this host's APK directory, until the build is decided
    apk_sha256: str | None = None
    apk_size: int = 0
    artifact: dict[str, Any] | None = None  # {"url", "sha256", "size"} when the APK comes by URL
    job_id: str | None = None
    started_at: float | None = None
    decided_at: float | None = None
    last_problem: str | None = None  # why the reaper retried it
    package: str | None = None  # the analysed app's package, once decided
    verdict: dict[str, Any] | None = None  # the verdict contract's JSON, once decided
    callback_job_id: str | None = None  # the RQ job delivering the verdict's callback, queued with the decision
    # not_required / pending / approved / rejected, set with the decision (the record's review desk)
    review_status: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown build status {self.status!r}")

    @property
    def decided(self) -> bool:
        return self.status in FINAL

    def to_record(self) -> dict[str, str | int | float]:
        """The Redis hash of the build."""
        return encode(asdict(self))

    @classmethod
    def from_record(cls, record: dict[str, str]) -> Build:
        """The build of a Redis hash that ``to_record`` (or ``encode`` of some fields) wrote."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = record.get(f.name, "")
            if f.name in _JSON:
                values[f.name] = json.loads(raw) if raw else None
            elif f.name in _FLOAT:
                values[f.name] = float(raw) if raw else (0.0 if f.name == "received_at" else None)
            elif f.name in _INT:
                values[f.name] = int(raw or 0)
            else:
                values[f.name] = raw or None
        return cls(**values)


    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Build:
        """The build of a record's build dict (gate.record.repository.Record.get_build)."""
        values: dict[str, Any] = {f.name: row.get(f.name) for f in fields(cls)}
        values["received_at"] = float(values["received_at"] or 0.0)
        values["attempts"] = int(values["attempts"] or 0)
        values["apk_size"] = int(values["apk_size"] or 0)
        return cls(**values)

    def to_row(self) -> dict[str, Any]:
        """The fields the record stores for a new build (the verdict is stored with the decision)."""
        out = asdict(self)
        out.pop("verdict")
        out.pop("review_status")
        return out


_JSON = frozenset({"listing", "artifact", "verdict"})
_FLOAT = frozenset({"received_at", "started_at", "decided_at"})
_INT = frozenset({"attempts", "apk_size"})
FIELDS = frozenset(f.name for f in fields(Build))


def encode(values: dict[str, Any]) -> dict[str, str | int | float]:
    """Fields of a build as the hash holds them; refuses a name that is not a field of ``Build``."""
    unknown = set(values) - FIELDS
    if unknown:
        raise ValueError(f"not fields of a build: {sorted(unknown)}")
    return {key: (json.dumps(v) if isinstance(v, dict | list) else ("" if v is None else v))
            for key, v in values.items()}

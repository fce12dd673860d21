"""Moves an older Redis-only store (gate.record.store's keys) into the record, once.

What moves: tenants (with their secrets and token hashes, so stores keep their credentials), every build hash
(status, listing, artifact, verdict page token, verdict document) with its findings rows, every package's
history list, every build's callback attempts and the delisted registry. What stays in Redis: webhook-id
dedupe, rate limits and the active list (in flight, with TTLs). Builds decided before the review desk existed
are imported as ``not_required``: nobody was asked to review them.

One transaction: everything moves or nothing does. An audit row ``import.redis`` with the counts marks it
done; a second run finds the mark and moves nothing (``force`` to import again what is not there yet).
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, insert, select, update

from gate.record.build import FINAL
from gate.record.models import (
    AuditRow,
    BuildRow,
    DelistedRow,
    DeliveryRow,
    FindingRow,
    FindingSdkRow,
    HistoryRow,
    TenantRow,
    VerdictRow,
)
from gate.record.repository import Record, listing_facts, version_key

_FLOATS = ("received_at", "started_at", "decided_at")
_JSON = ("listing", "verdict", "artifact")


def _decode_build(h: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: (v if v != "" else None) for k, v in h.items()}
    for key in _JSON:
        if out.get(key):
            out[key] = json.loads(out[key])
    for key in _FLOATS:
        if out.get(key):
            out[key] = float(out[key])
    out["attempts"] = int(out.get("attempts") or 0)
    out["apk_size"] = int(out.get("apk_size") or 0)
    return out


def already_imported(record: Record) -> bool:
    with record.engine.connect() as conn:
        return conn.scalar(select(AuditRow.id).where(AuditRow.action == "import.redis").limit(1)) is not None


def import_redis(client: Any, record: Record, prefix: str = "gate:", *, force: bool = False) -> dict[str, Any]:
    """Copy the Redis store under ``prefix`` into the record; returns the counts (``skipped`` when done before)."""
    if already_imported(record) and not force:
        return {"imported": False, "reason": "the Redis store was imported before"}
    r = client

    def k(*parts: str) -> str:
        return prefix + ":".join(parts)

    counts = {"tenants": 0, "builds": 0, "verdicts": 0, "findings": 0, "history": 0, "deliveries": 0,
              "delisted": 0, "skipped_builds": 0}
    with record._writer.begin() as conn:
        tenants = set(_existing(conn, TenantRow.name))
        for name in sorted(_s(x) for x in r.smembers(k("tenants"))):
            h = {_s(a): _s(b) for a, b in r.hgetall(k("tenant", name)).items()}
            if not h.get("secret") or name in tenants:
                continue
            conn.execute(insert(TenantRow).values(
                name=name, callback_url=h["callback_url"], secret=h["secret"], token_hash=h["token_hash"],
                allowed_hosts=json.loads(h.get("allowed_hosts") or "[]"), policy=h.get("policy") or None,
                policy_override=json.loads(h.get("policy_override") or "{}"),
                callback_disabled=h.get("callback_disabled") == "1", review_blocks=False,
                created_at=float(h.get("created_at") or 0)))
            tenants.add(name)
            counts["tenants"] += 1

        builds = set(_existing(conn, BuildRow.build_id))
        sha_of: dict[str, str] = {}
        for key in r.scan_iter(match=k("build", "*"), count=500):
            raw = {_s(a): _s(b) for a, b in r.hgetall(key).items()}
            if not raw.get("build_id"):
                continue
            b = _decode_build(raw)
            verdict = b.pop("verdict", None)
            app = verdict.get("app", {}) if isinstance(verdict, dict) else {}
            if app.get("sha256"):
                sha_of[b["build_id"]] = app["sha256"]
            if b["build_id"] in builds or b.get("tenant") not in tenants:
                counts["skipped_builds"] += b["build_id"] not in builds
                continue
            record_build = {**b, "status": b.get("status") or "queued", "received_at": b.get("received_at") or 0.0,
                            "verdict_token": b.get("verdict_token") or ("imported_" + b["build_id"])}
            cols, extra = Record._split(record_build)
            developer, category = listing_facts(cols.get("listing"))
            decided = cols["status"] in FINAL and isinstance(verdict, dict)
            if decided:
                assert isinstance(verdict, dict)
                cols.update(verdict=verdict.get("verdict"), package=app.get("package") or None,
                            version_code=app.get("version_code") if isinstance(app.get("version_code"), int)
                            else None, review_status="not_required")
            conn.execute(insert(BuildRow).values(**cols, developer=developer, category=category, extra=extra))
            counts["builds"] += 1
            builds.add(b["build_id"])
            if decided:
                assert isinstance(verdict, dict)
                conn.execute(insert(VerdictRow).values(build_id=b["build_id"], document=verdict))
                counts["verdicts"] += 1
                rows, sdk_rows = Record._finding_rows(b["build_id"], b["tenant"], cols.get("package"), developer,
                                                      category, verdict.get("findings") or [],
                                                      cols.get("decided_at") or cols["received_at"])
                if rows:
                    conn.execute(insert(FindingRow), rows)
                if sdk_rows:
                    conn.execute(insert(FindingSdkRow), sdk_rows)
                counts["findings"] += len(rows)
            attempts = [json.loads(_s(x)) for x in r.lrange(k("deliveries", b["build_id"]), 0, -1)]
            for attempt in attempts:
                conn.execute(insert(DeliveryRow).values(build_id=b["build_id"], attempt=attempt,
                                                        created_at=cols.get("decided_at") or cols["received_at"]))
            counts["deliveries"] += len(attempts)

        counts["history"] = _import_history(conn, r, k, tenants, sha_of)

        for kind in ("package", "developer"):
            for name, raw_entry in r.hgetall(k("delisted", kind)).items():
                entry = json.loads(_s(raw_entry))
                exists = conn.scalar(select(DelistedRow.key).where(DelistedRow.kind == kind,
                                                                   DelistedRow.key == _s(name)))
                if exists is None:
                    conn.execute(insert(DelistedRow).values(
                        kind=kind, key=_s(name), package=entry.get("package"), developer=entry.get("developer"),
                        notice=entry.get("notice") or "", source=entry.get("source") or "import",
                        added_at=entry.get("added_at") or ""))
                    counts["delisted"] += 1
        conn.execute(insert(AuditRow).values(at=time.time(), actor="gate migrate", action="import.redis",
                                             tenant=None, subject_kind="record", subject_id=prefix, data=counts))
    return {"imported": True, **counts}


def _import_history(conn: Connection, r: Any, k: Any, tenants: set[str], sha_of: dict[str, str]) -> int:
    """Old history lists have no sha256: it comes from the entry's build when that is known; otherwise the
    entry keeps a key of its own (``unknown:<build id>``), so no entry is merged into another or lost."""
    count = 0
    head = k("history", "")
    for key in r.scan_iter(match=head + "*", count=500):
        tenant, _, package = _s(key)[len(head):].partition(":")
        if tenant not in tenants or not package:
            continue
        for raw in r.lrange(key, 0, -1):
            e = json.loads(_s(raw))
            build_id = str(e.get("build_id") or "")
            sha = sha_of.get(build_id) or f"unknown:{build_id}"[:64]
            at = float(e.get("decided_at") or 0)
            values = {"tenant": tenant, "package": package, "version_key": version_key(e.get("version_code")),
                      "sha256": sha}
            found = conn.execute(select(HistoryRow.id).where(*(getattr(HistoryRow, c) == v
                                                               for c, v in values.items()))).first()
            if found is not None:
                conn.execute(update(HistoryRow).where(HistoryRow.id == found.id).values(
                    build_id=build_id, decided_at=at, builds=HistoryRow.builds + 1))
                continue
            conn.execute(insert(HistoryRow).values(
                **values, version_code=e.get("version_code"), version_name=e.get("version_name"),
                certificates=e.get("certificates") or [], verdict=e.get("verdict"),
                finding_keys=e.get("findings") or [], first_build_id=build_id, build_id=build_id, builds=1,
                first_decided_at=at, decided_at=at))
            count += 1
    return count


def _existing(conn: Connection, column: Any) -> list[str]:
    return list(conn.scalars(select(column)))


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

"""The record: what the service keeps about tenants, builds and decisions, in SQL (SQLAlchemy Core and ORM).

``Record`` is the one object the service talks to. Its build, tenant, history, delivery and delisted calls have
the names and return shapes of ``gate.store.Store`` (builds are plain dicts with the listing, artifact and
verdict document decoded), so the service can move from Redis to here call by call. New: the review desk
(``review_queue``, ``decide``), reviewers, waivers, the audit log, the decisions report and retention
(``archive`` / ``restore``).

Every change that belongs together is one transaction: ``finalize`` stores the verdict document, one row per
finding and the package's history entry at once; a decision or a waiver change writes its audit row in the
same transaction. The audit log has no call that changes or removes a row (and the database refuses both).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from gate.errors import GateError
from gate.record.build import FINAL
from gate.record.db import make_engine, writing
from gate.record.models import (
    CALLBACK_FINAL,
    CALLBACK_RESULTS,
    IDENTIFIED_BY,
    ROLES,
    AuditRow,
    BuildRow,
    DecisionRow,
    DelistedRow,
    DeliveryRow,
    FindingRow,
    FindingSdkRow,
    HistoryRow,
    ReviewerRow,
    TenantRow,
    VerdictRow,
    WaiverRow,
)
from gate.record.tenant import TENANT_NAME, Tenant, token_hash
from gate.service import webhook_signing

REVIEWER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
DECISIONS = {"approve": "approved", "reject": "rejected"}
COUNTED = ("warn", "block")
_BUILD_COLUMNS = frozenset(c.key for c in BuildRow.__table__.columns) - {"extra", "verdict"}
_DAY = 86400.0


class RecordError(GateError, ValueError):
    """A request the record refuses (unknown tenant, bad name, a decision on a build that is not pending...)."""


def _check_identified_by(identified_by: str | None) -> None:
    if identified_by is not None and identified_by not in IDENTIFIED_BY:
        raise RecordError(f"a reviewer is identified by one of {', '.join(IDENTIFIED_BY)}")


def new_build_id() -> str:
    return "b_" + secrets.token_hex(12)


def finding_key(finding: Mapping[str, Any]) -> str:
    """A finding's identity across versions: its rule and what it is about (as gate.history.finding_key)."""
    values = sorted(f"{e.get('kind')}={e.get('value')}" for e in finding.get("evidence", []))
    digest = hashlib.sha256("\n".join(values).encode()).hexdigest()[:16]
    return f"{finding['rule_id']}:{digest}"


# -- passwords (stdlib scrypt; no extra dependency) ---------------------------------------------------------

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise RecordError("a reviewer's password has at least 8 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt${n}${r}${p}${salt}${digest}".format(
        **_SCRYPT, salt=base64.b64encode(salt).decode(), digest=base64.b64encode(digest).decode())


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(base64.b64decode(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


# -- value objects -------------------------------------------------------------------------------------------

@dataclass
class RecordTenant(Tenant):
    """A tenant in the record, which also keeps whether its blocked builds wait for a reviewer."""

    review_blocks: bool = False

    def public(self) -> dict[str, Any]:
        return {**super().public(), "review_blocks": self.review_blocks}


def _tenant(row: TenantRow) -> RecordTenant:
    return RecordTenant(name=row.name, callback_url=row.callback_url, secret=row.secret, token_hash=row.token_hash,
                        allowed_hosts=list(row.allowed_hosts or []), policy=row.policy, created_at=row.created_at,
                        callback_disabled=row.callback_disabled, policy_override=dict(row.policy_override or {}),
                        review_blocks=row.review_blocks)


def _sdks(finding: Mapping[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for e in finding.get("evidence", []):
        if isinstance(e, Mapping) and e.get("sdk"):
            seen[str(e["sdk"])] = None
    return list(seen)


def listing_facts(listing: Any) -> tuple[str | None, str | None]:
    """(developer id or name, category) from a listing document."""
    if not isinstance(listing, Mapping):
        return None, None
    dev = listing.get("developer")
    developer = None
    if isinstance(dev, Mapping):
        developer = dev.get("id") or dev.get("name")
    category = listing.get("category")
    return (str(developer) if developer else None), (str(category) if category else None)


def version_key(version_code: Any) -> int:
    return int(version_code) if isinstance(version_code, int) else -1


class Record:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = writing(engine)

    @classmethod
    def from_url(cls, url: str | None = None) -> Record:
        return cls(make_engine(url))

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    def _audit(self, conn: Connection, actor: str, action: str, subject_kind: str, subject_id: str,
               tenant: str | None = None, data: Mapping[str, Any] | None = None, at: float | None = None) -> None:
        conn.execute(insert(AuditRow).values(at=time.time() if at is None else at, actor=actor, action=action,
                                             tenant=tenant, subject_kind=subject_kind, subject_id=subject_id,
                                             data=dict(data or {})))

    # -- tenants ------------------------------------------------------------------------------------------

    def add_tenant(self, name: str, callback_url: str, allowed_hosts: Iterable[str] = (), policy: str | None = None,
                   *, secret: str | None = None, review_blocks: bool = False) -> tuple[RecordTenant, str]:
        """A new store; returns it and its API token (shown once: only its hash is kept)."""
        secret = secret or webhook_signing.new_secret()
        if not TENANT_NAME.match(name):
            raise RecordError("a tenant name is 1-63 lowercase letters, digits, '-' or '_'")
        if not re.match(r"^https?://[^\s/]+", callback_url):
            raise RecordError("the callback URL must be an http(s) URL")
        token = "gt_" + secrets.token_urlsafe(32)
        with self._tx() as conn:
            if conn.scalar(select(TenantRow.name).where(TenantRow.name == name)) is not None:
                raise RecordError(f"tenant {name} already exists (use rotate for new credentials)")
            conn.execute(insert(TenantRow).values(
                name=name, callback_url=callback_url, secret=secret, token_hash=token_hash(token),
                allowed_hosts=sorted({h.lower() for h in allowed_hosts}), policy=policy, policy_override={},
                callback_disabled=False, review_blocks=review_blocks, created_at=time.time()))
            self._audit(conn, "cli", "tenant.add", "tenant", name, name, {"callback_url": callback_url})
        tenant = self.get_tenant(name)
        assert tenant is not None
        return tenant, token

    def get_tenant(self, name: str) -> RecordTenant | None:
        if not TENANT_NAME.match(name):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(TenantRow).where(TenantRow.name == name)).first()
        return _tenant(TenantRow(**row._mapping)) if row else None

    def list_tenants(self) -> list[RecordTenant]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(TenantRow).order_by(TenantRow.name)).all()
        return [_tenant(TenantRow(**r._mapping)) for r in rows]

    def rotate_tenant(self, name: str, *, secret: str | None = None) -> tuple[RecordTenant, str]:
        secret = secret or webhook_signing.new_secret()
        token = "gt_" + secrets.token_urlsafe(32)
        with self._tx() as conn:
            done = conn.execute(update(TenantRow).where(TenantRow.name == name)
                                .values(secret=secret, token_hash=token_hash(token))).rowcount
            if not done:
                raise RecordError(f"no tenant {name}")
            self._audit(conn, "cli", "tenant.rotate", "tenant", name, name)
        tenant = self.get_tenant(name)
        assert tenant is not None
        return tenant, token

    def update_tenant(self, name: str, **fields: Any) -> RecordTenant:
        allowed = {"callback_url", "allowed_hosts", "policy", "policy_override", "callback_disabled", "review_blocks"}
        unknown = set(fields) - allowed
        if unknown:
            raise RecordError(f"a tenant has no field(s) {sorted(unknown)} that can be changed")
        with self._tx() as conn:
            if fields and not conn.execute(update(TenantRow).where(TenantRow.name == name).values(**fields)).rowcount:
                raise RecordError(f"no tenant {name}")
            self._audit(conn, "cli", "tenant.update", "tenant", name, name,
                        {k: v for k, v in fields.items() if k != "policy_override"})
        tenant = self.get_tenant(name)
        if tenant is None:
            raise RecordError(f"no tenant {name}")
        return tenant

    def delete_tenant(self, name: str) -> bool:
        """Removes the store and, by cascade, its builds, history and waivers (the audit log stays)."""
        with self._tx() as conn:
            gone = conn.execute(delete(TenantRow).where(TenantRow.name == name)).rowcount
            if gone:
                self._audit(conn, "cli", "tenant.delete", "tenant", name, name)
        return bool(gone)

    def tenant_by_token(self, token: str) -> RecordTenant | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(TenantRow).where(TenantRow.token_hash == token_hash(token))).first()
        return _tenant(TenantRow(**row._mapping)) if row else None

    # -- builds -------------------------------------------------------------------------------------------

    @staticmethod
    def _split(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        cols = {k: v for k, v in fields.items() if k in _BUILD_COLUMNS}
        extra = {k: v for k, v in fields.items() if k not in _BUILD_COLUMNS and k != "verdict"}
        return cols, extra

    def create_build(self, build: Mapping[str, Any]) -> None:
        cols, extra = self._split(build)
        cols.setdefault("status", "queued")
        cols.setdefault("received_at", time.time())
        cols.setdefault("attempts", 0)
        cols.setdefault("apk_size", 0)
        developer, category = listing_facts(cols.get("listing"))
        cols.setdefault("developer", developer)
        cols.setdefault("category", category)
        with self._tx() as conn:
            conn.execute(insert(BuildRow).values(**cols, extra=extra))

    @staticmethod
    def _build_dict(row: Any, document: Any) -> dict[str, Any]:
        out = {k: row[k] for k in _BUILD_COLUMNS}
        out.update(row["extra"] or {})
        out["outcome"] = row["verdict"]
        if document is not None:
            out["verdict"] = document
        return out

    def _builds(self, conn: Connection, where: Any, order: Sequence[Any] = (), limit: int | None = None
                ) -> list[dict[str, Any]]:
        query = (select(BuildRow.__table__, VerdictRow.document)
                 .outerjoin(VerdictRow, VerdictRow.build_id == BuildRow.build_id).where(where).order_by(*order))
        if limit is not None:
            query = query.limit(limit)
        return [self._build_dict(r._mapping, r.document) for r in conn.execute(query)]

    def get_build(self, build_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            found = self._builds(conn, BuildRow.build_id == build_id)
        return found[0] if found else None

    def build_by_page_token(self, token: str) -> dict[str, Any] | None:
        if not token or len(token) > 100:
            return None
        with self.engine.connect() as conn:
            found = self._builds(conn, BuildRow.verdict_token == token)
        return found[0] if found else None

    def update_build(self, build_id: str, **fields: Any) -> None:
        cols, extra = self._split(fields)
        with self._tx() as conn:
            if extra:
                current = conn.scalar(select(BuildRow.extra).where(BuildRow.build_id == build_id)
                                      .with_for_update())
                cols["extra"] = {**(current or {}), **extra}
            if cols:
                conn.execute(update(BuildRow).where(BuildRow.build_id == build_id).values(**cols))

    def mark_running(self, build_id: str) -> int:
        """Status running, one more attempt; returns the attempt number."""
        with self._tx() as conn:
            conn.execute(update(BuildRow).where(BuildRow.build_id == build_id)
                         .values(attempts=BuildRow.attempts + 1, status="running", started_at=time.time()))
            return int(conn.scalar(select(BuildRow.attempts).where(BuildRow.build_id == build_id)) or 0)

    def finalize(self, build_id: str, status: str, verdict: Mapping[str, Any], *, now: float | None = None) -> bool:
        """Store the verdict once, with its findings rows and the package's history entry, in one transaction.

        Returns False if the build is unknown or was already decided (nothing changes). The history entry is
        per version: the same (package, version code, sha256) again updates that entry (its latest build,
        verdict and findings, and how many builds carried it) instead of adding a version.
        """
        if status not in FINAL:
            raise RecordError(f"a decided build is one of {FINAL}")
        decided_at = time.time() if now is None else now
        app = verdict.get("app") or {}
        package = app.get("package") or None
        outcome = verdict.get("verdict")
        version_code = app.get("version_code") if isinstance(app.get("version_code"), int) else None
        with self._tx() as conn:
            # the write comes first: the transaction holds the write lock (SQLite) / the row (PostgreSQL)
            claimed = conn.execute(
                update(BuildRow).where(BuildRow.build_id == build_id, BuildRow.status.not_in(FINAL))
                .values(status=status, decided_at=decided_at, verdict=outcome, package=package,
                        version_code=version_code)).rowcount
            if not claimed:
                return False
            b = conn.execute(select(BuildRow.tenant, BuildRow.listing, BuildRow.developer, BuildRow.category,
                                    TenantRow.review_blocks)
                             .join(TenantRow, TenantRow.name == BuildRow.tenant)
                             .where(BuildRow.build_id == build_id)).one()
            pending = status == "done" and (outcome == "warn" or (outcome == "block" and b.review_blocks))
            conn.execute(update(BuildRow).where(BuildRow.build_id == build_id)
                         .values(review_status="pending" if pending else "not_required"))
            conn.execute(insert(VerdictRow).values(build_id=build_id, document=dict(verdict)))
            rows, sdk_rows = self._finding_rows(build_id, b.tenant, package, b.developer, b.category,
                                                verdict.get("findings") or [], decided_at)
            if rows:
                conn.execute(insert(FindingRow), rows)
            if sdk_rows:
                conn.execute(insert(FindingSdkRow), sdk_rows)
            if package and status == "done":
                self._upsert_history(conn, b.tenant, build_id, verdict, decided_at)
        return True

    @staticmethod
    def _finding_rows(build_id: str, tenant: str, package: str | None, developer: str | None,
                      category: str | None, findings: Sequence[Mapping[str, Any]], at: float
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows: list[dict[str, Any]] = []
        sdk_rows: list[dict[str, Any]] = []
        for seq, f in enumerate(findings):
            sdks = _sdks(f)
            outcome = f.get("outcome") or "info"
            rows.append({"build_id": build_id, "seq": seq, "tenant": tenant, "rule_id": f["rule_id"],
                         "outcome": outcome, "sdk": sdks[0] if sdks else None, "package": package,
                         "developer": developer, "category": category, "evidence_key": finding_key(f),
                         "created_at": at})
            sdk_rows.extend({"build_id": build_id, "seq": seq, "sdk": s, "outcome": outcome} for s in sdks)
        return rows, sdk_rows

    def _upsert_history(self, conn: Connection, tenant: str, build_id: str, verdict: Mapping[str, Any],
                        at: float) -> None:
        app = verdict.get("app") or {}
        keys = sorted({finding_key(f) for f in verdict.get("findings", [])
                       if f.get("outcome") in COUNTED and f.get("rule_id") != "PLT-RECURRENCE"})
        values = {"tenant": tenant, "package": app["package"], "version_key": version_key(app.get("version_code")),
                  "sha256": app.get("sha256") or "", "version_code": app.get("version_code"),
                  "version_name": app.get("version_name"),
                  "certificates": [c["sha256"] for c in app.get("certificates", []) if isinstance(c, Mapping)],
                  "verdict": verdict.get("verdict"), "finding_keys": keys, "first_build_id": build_id,
                  "build_id": build_id, "builds": 1, "first_decided_at": at, "decided_at": at}
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(HistoryRow).values(**values)
        excluded = stmt.excluded
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["tenant", "package", "version_key", "sha256"],
            set_={"build_id": excluded.build_id, "verdict": excluded.verdict, "finding_keys": excluded.finding_keys,
                  "decided_at": excluded.decided_at, "builds": HistoryRow.builds + 1}))

    def recent_builds(self, tenant: str, limit: int) -> list[dict[str, Any]]:
        """The tenant's ``limit`` latest builds by arrival, newest first."""
        with self.engine.connect() as conn:
            return self._builds(conn, BuildRow.tenant == tenant,
                                (BuildRow.received_at.desc(), BuildRow.build_id.desc()), limit)

    def active_builds(self) -> list[tuple[str, float]]:
        """Builds not decided yet, with their last change (start of the latest attempt, else arrival)."""
        changed = func.coalesce(BuildRow.started_at, BuildRow.received_at)
        with self.engine.connect() as conn:
            rows = conn.execute(select(BuildRow.build_id, changed).where(BuildRow.status.in_(("queued", "running")))
                                .order_by(changed)).all()
        return [(r[0], float(r[1] or 0)) for r in rows]

    def undelivered(self, older_than: float, since: float) -> list[str]:
        """Builds decided in [since, older_than] whose callback has had no attempt (no delivery row)."""
        query = (select(BuildRow.build_id)
                 .where(BuildRow.decided_at >= since, BuildRow.decided_at <= older_than,
                        ~exists().where(DeliveryRow.build_id == BuildRow.build_id))
                 .order_by(BuildRow.decided_at))
        with self.engine.connect() as conn:
            return list(conn.scalars(query))

    def gauges(self) -> dict[str, int]:
        """What /metrics shows of the record: builds not decided yet, and decided builds waiting for a reviewer."""
        with self.engine.connect() as conn:
            undecided = conn.scalar(select(func.count()).select_from(BuildRow)
                                    .where(BuildRow.status.in_(("queued", "running"))))
            pending = conn.scalar(select(func.count()).select_from(BuildRow)
                                  .where(BuildRow.review_status == "pending"))
        return {"undecided": int(undecided or 0), "review_pending": int(pending or 0)}

    def delete_build(self, build_id: str) -> bool:
        """Undo ``create_build`` for a build that could not be queued: nothing of it stays."""
        with self._tx() as conn:
            return bool(conn.execute(delete(BuildRow).where(BuildRow.build_id == build_id)).rowcount)

    def builds_for_package(self, tenant: str, package: str, limit: int = 100) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return self._builds(conn, and_(BuildRow.tenant == tenant, BuildRow.package == package),
                                (BuildRow.decided_at.desc(),), limit)

    # -- history by version --------------------------------------------------------------------------------

    @staticmethod
    def _history_entry(r: Any) -> dict[str, Any]:
        return {"build_id": r.build_id, "first_build_id": r.first_build_id, "version_code": r.version_code,
                "version_name": r.version_name, "sha256": r.sha256, "certificates": list(r.certificates or []),
                "verdict": r.verdict, "findings": list(r.finding_keys or []), "builds": r.builds,
                "first_decided_at": r.first_decided_at, "decided_at": r.decided_at}

    def history(self, tenant: str, package: str, *, exclude_sha256: str | None = None) -> list[dict[str, Any]]:
        """The package's decided versions at the store, oldest first (gate.history.History.versions' shape,
        plus sha256 and builds). ``exclude_sha256`` leaves out the binary being analysed, so that the same
        APK sent again is not counted as its own previous version."""
        query = select(HistoryRow).where(HistoryRow.tenant == tenant, HistoryRow.package == package)
        if exclude_sha256:
            query = query.where(HistoryRow.sha256 != exclude_sha256)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(HistoryRow.first_decided_at, HistoryRow.id)).all()
        return [self._history_entry(r) for r in rows]

    def append_history(self, tenant: str, package: str, build_id: str, verdict: Mapping[str, Any]) -> None:
        """Record a decided version outside the build flow (``gate scan --history``)."""
        app = dict(verdict.get("app") or {})
        app["package"] = package
        with self._tx() as conn:
            self._upsert_history(conn, tenant, build_id, {**verdict, "app": app}, time.time())

    # -- deliveries ----------------------------------------------------------------------------------------

    def record_delivery(self, build_id: str, attempt: Mapping[str, Any]) -> None:
        with self._tx() as conn:
            conn.execute(insert(DeliveryRow).values(build_id=build_id, attempt=dict(attempt), created_at=time.time()))

    def deliveries(self, build_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.scalars(select(DeliveryRow.attempt).where(DeliveryRow.build_id == build_id)
                                .order_by(DeliveryRow.id)).all()
        return [dict(a) for a in rows]

    # -- the delisted registry -----------------------------------------------------------------------------

    def delist(self, package: str | None, developer: str | None, notice: str, source: str = "cli") -> dict[str, Any]:
        if not (package or developer):
            raise RecordError("a delisted entry names a package, a developer or both")
        if not notice.strip():
            raise RecordError("a delisted entry needs the notice it comes from (--notice)")
        entry = {"package": package, "developer": developer, "notice": notice.strip(), "source": source,
                 "added_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with self._tx() as conn:
            for kind, key in (("package", package), ("developer", developer)):
                if key:
                    conn.execute(delete(DelistedRow).where(DelistedRow.kind == kind, DelistedRow.key == key))
                    conn.execute(insert(DelistedRow).values(kind=kind, key=key, **entry))
            self._audit(conn, source, "delisted.add", "delisted", package or developer or "", None, entry)
        return entry

    def undelist(self, package: str | None = None, developer: str | None = None) -> bool:
        removed = 0
        with self._tx() as conn:
            for kind, key in (("package", package), ("developer", developer)):
                if key:
                    removed += conn.execute(delete(DelistedRow).where(DelistedRow.kind == kind,
                                                                      DelistedRow.key == key)).rowcount
            if removed:
                self._audit(conn, "cli", "delisted.remove", "delisted", package or developer or "", None,
                            {"package": package, "developer": developer})
        return bool(removed)

    @staticmethod
    def _delisted_entry(r: Any) -> dict[str, Any]:
        return {"package": r.package, "developer": r.developer, "notice": r.notice, "source": r.source,
                "added_at": r.added_at}

    def delisted_entries(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(DelistedRow)).all()
        seen = {json.dumps(e, sort_keys=True): e for e in map(self._delisted_entry, rows)}
        return sorted(seen.values(), key=lambda e: (e.get("package") or "", e.get("developer") or ""))

    def delisted_lookup(self, package: str, developer: str | None) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(DelistedRow).where(DelistedRow.kind == "package",
                                                         DelistedRow.key == package)).first()
            if row is None and developer:
                row = conn.execute(select(DelistedRow).where(DelistedRow.kind == "developer",
                                                             DelistedRow.key == developer)).first()
        return self._delisted_entry(row) if row else None

    # -- reviewers -----------------------------------------------------------------------------------------

    def add_reviewer(self, name: str, password: str, role: str = "reviewer", *, actor: str = "cli") -> dict[str, Any]:
        if not REVIEWER_NAME.match(name):
            raise RecordError("a reviewer name is 1-100 letters, digits, '.', '_', '@' or '-'")
        if role not in ROLES:
            raise RecordError(f"a reviewer's role is one of {', '.join(ROLES)}")
        hashed = hash_password(password)
        with self._tx() as conn:
            if conn.scalar(select(ReviewerRow.name).where(ReviewerRow.name == name)) is not None:
                raise RecordError(f"reviewer {name} already exists")
            conn.execute(insert(ReviewerRow).values(name=name, password_hash=hashed, role=role, disabled=False,
                                                    created_at=time.time()))
            self._audit(conn, actor, "reviewer.add", "reviewer", name, None, {"role": role})
        return {"name": name, "role": role, "disabled": False}

    def reviewers(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ReviewerRow).order_by(ReviewerRow.name)).all()
        return [{"name": r.name, "role": r.role, "disabled": r.disabled, "created_at": r.created_at} for r in rows]

    def disable_reviewer(self, name: str, *, actor: str = "cli") -> bool:
        with self._tx() as conn:
            done = conn.execute(update(ReviewerRow).where(ReviewerRow.name == name).values(disabled=True)).rowcount
            if done:
                self._audit(conn, actor, "reviewer.disable", "reviewer", name)
        return bool(done)

    def authenticate(self, name: str, password: str) -> dict[str, Any] | None:
        """The reviewer (name, role) when the password is right and the account enabled, else None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(ReviewerRow).where(ReviewerRow.name == name)).first()
        if row is None or row.disabled or not check_password(password, row.password_hash):
            return None
        return {"name": row.name, "role": row.role}

    # -- the review desk -----------------------------------------------------------------------------------

    def review_queue(self, tenant: str | None = None, *, status: str = "pending", rule: str | None = None,
                     sdk: str | None = None, developer: str | None = None, category: str | None = None,
                     oldest_first: bool = False, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Builds by review status (pending by default), newest decided first, with the rules they fired."""
        b = BuildRow
        query = select(b.build_id, b.tenant, b.package, b.version_code, b.verdict, b.review_status, b.decided_at,
                       b.developer, b.category, b.platform_build_id).where(b.review_status == status)
        if tenant is not None:
            query = query.where(b.tenant == tenant)
        if developer:
            query = query.where(b.developer == developer)
        if category:
            query = query.where(b.category == category)
        if rule:
            query = query.where(exists().where(FindingRow.build_id == b.build_id, FindingRow.rule_id == rule))
        if sdk:
            query = query.where(exists().where(FindingSdkRow.build_id == b.build_id, FindingSdkRow.sdk == sdk))
        order = b.decided_at.asc() if oldest_first else b.decided_at.desc()
        query = query.order_by(order, b.build_id).limit(min(max(limit, 1), 500)).offset(max(offset, 0))
        return self._with_rules(query)

    def _with_rules(self, query: Select[*tuple[Any, ...]]) -> list[dict[str, Any]]:
        """The builds ``query`` selects, each with ``rules``: the rules that warned or blocked on it."""
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
            rules = self._rules_fired(conn, [r["build_id"] for r in rows])
        for r in rows:
            r["rules"] = rules.get(r["build_id"], [])
        return rows

    @staticmethod
    def _rules_fired(conn: Connection, build_ids: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, set[str]] = {}
        for i in range(0, len(build_ids), 500):
            chunk = build_ids[i:i + 500]
            for build_id, rule_id in conn.execute(
                    select(FindingRow.build_id, FindingRow.rule_id)
                    .where(FindingRow.build_id.in_(chunk), FindingRow.outcome.in_(COUNTED))):
                out.setdefault(build_id, set()).add(rule_id)
        return {k: sorted(v) for k, v in out.items()}

    def decide(self, build_id: str, decision: str, reason: str, reviewer: str, *,
               second_reviewer: str | None = None, second_for_block: bool = False,
               identified_by: str | None = None, now: float | None = None) -> dict[str, Any]:
        """Approve or reject a pending build, with a reason; the decision and its audit row are one transaction.

        With ``second_for_block`` (the store's policy asks it), approving a ``block`` verdict needs a second,
        different reviewer. ``identified_by`` (IDENTIFIED_BY) says how the reviewers were identified: it is kept
        on the decision and in its audit row."""
        if decision not in DECISIONS:
            raise RecordError("a decision is approve or reject")
        _check_identified_by(identified_by)
        if not reason.strip():
            raise RecordError("a decision needs a reason")
        if not reviewer.strip():
            raise RecordError("a decision names its reviewer")
        at = time.time() if now is None else now
        with self._tx() as conn:
            row = conn.execute(select(BuildRow.tenant, BuildRow.verdict, BuildRow.review_status)
                               .where(BuildRow.build_id == build_id)).first()
            if row is None:
                raise RecordError(f"no build {build_id}")
            if (decision == "approve" and row.verdict == "block" and second_for_block
                    and (not second_reviewer or second_reviewer == reviewer)):
                raise RecordError("approving a blocked build needs a second, different reviewer")
            changed = conn.execute(update(BuildRow).where(BuildRow.build_id == build_id,
                                                          BuildRow.review_status == "pending")
                                   .values(review_status=DECISIONS[decision])).rowcount
            if not changed:
                raise RecordError(f"build {build_id} is not waiting for review (it is {row.review_status})")
            who = reviewer if not second_reviewer else f"{reviewer}+{second_reviewer}"
            conn.execute(insert(DecisionRow).values(build_id=build_id, tenant=row.tenant, decision=decision,
                                                    reason=reason.strip(), reviewer=who, decided_at=at,
                                                    reviewer_identified_by=identified_by))
            out = {"build_id": build_id, "decision": decision, "review_status": DECISIONS[decision],
                   "reason": reason.strip(), "reviewer": who, "reviewer_identified_by": identified_by,
                   "decided_at": at, "verdict": row.verdict}
            self._audit(conn, who, f"build.{decision}", "build", build_id, row.tenant, out, at)
        return out

    def decisions(self, build_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(DecisionRow).where(DecisionRow.build_id == build_id)
                                .order_by(DecisionRow.id)).all()
        return [{"decision": r.decision, "reason": r.reason, "reviewer": r.reviewer,
                 "reviewer_identified_by": r.reviewer_identified_by, "decided_at": r.decided_at,
                 "callback": {"job_id": r.callback_job_id, "result": r.callback_result,
                              "delivered_at": r.callback_delivered_at}}
                for r in rows]

    def set_decision_callback(self, build_id: str, *, job_id: str | None = None, result: str | None = None,
                              now: float | None = None) -> bool:
        """Note on the build's latest decision the job that sends its ``build.decision`` callback, or the result
        of an attempt (CALLBACK_RESULTS; "delivered" also notes when). A delivered callback stays delivered."""
        if result is not None and result not in CALLBACK_RESULTS:
            raise RecordError(f"a callback result is one of {', '.join(CALLBACK_RESULTS)}")
        values: dict[str, Any] = {}
        if job_id is not None:
            values["callback_job_id"] = job_id
        if result is not None:
            values["callback_result"] = result
            if result == "delivered":
                values["callback_delivered_at"] = time.time() if now is None else now
        if not values:
            return False
        latest = select(func.max(DecisionRow.id)).where(DecisionRow.build_id == build_id).scalar_subquery()
        with self._tx() as conn:
            query = update(DecisionRow).where(DecisionRow.id == latest)
            if result is not None and result != "delivered":
                query = query.where(DecisionRow.callback_delivered_at.is_(None))
            return bool(conn.execute(query.values(**values)).rowcount)

    def decisions_to_call_back(self, older_than: float, since: float) -> list[dict[str, Any]]:
        """Decisions made in [since, older_than] whose ``build.decision`` callback has no final result: never
        queued, never tried, or between retries. Oldest first; the reaper looks at each one's job."""
        query = (select(DecisionRow.build_id, DecisionRow.callback_job_id, DecisionRow.callback_result)
                 .where(DecisionRow.decided_at >= since, DecisionRow.decided_at <= older_than,
                        DecisionRow.callback_delivered_at.is_(None),
                        or_(DecisionRow.callback_result.is_(None), DecisionRow.callback_result.not_in(CALLBACK_FINAL)))
                 .order_by(DecisionRow.decided_at, DecisionRow.id))
        with self.engine.connect() as conn:
            return [{"build_id": r.build_id, "job_id": r.callback_job_id, "result": r.callback_result}
                    for r in conn.execute(query)]

    # -- waivers -------------------------------------------------------------------------------------------

    @staticmethod
    def _waiver(r: Any) -> dict[str, Any]:
        return {"id": r.id, "tenant": r.tenant, "package": r.package, "developer": r.developer, "rule_id": r.rule_id,
                "evidence_match": r.evidence_match, "reason": r.reason, "expires_at": r.expires_at,
                "author": r.author, "author_identified_by": r.author_identified_by, "created_at": r.created_at,
                "revoked_at": r.revoked_at, "revoked_by": r.revoked_by,
                "revoked_by_identified_by": r.revoked_by_identified_by}

    def add_waiver(self, tenant: str, rule_id: str, reason: str, author: str, *, package: str | None = None,
                   developer: str | None = None, evidence_match: str | None = None,
                   expires_at: float | None = None, identified_by: str | None = None) -> dict[str, Any]:
        """Adds a waiver with its audit row (one transaction). ``identified_by`` (IDENTIFIED_BY) says how the
        author was identified: it is kept on the waiver, so in its audit row too."""
        _check_identified_by(identified_by)
        if bool(package) == bool(developer):
            raise RecordError("a waiver names a package or a developer (one of them)")
        if not rule_id.strip() or not reason.strip() or not author.strip():
            raise RecordError("a waiver needs a rule id, a reason and its author")
        now = time.time()
        if expires_at is not None and expires_at <= now:
            raise RecordError("a waiver's expiry is in the future")
        with self._tx() as conn:
            if conn.scalar(select(TenantRow.name).where(TenantRow.name == tenant)) is None:
                raise RecordError(f"no tenant {tenant}")
            waiver_id = conn.execute(insert(WaiverRow).values(
                tenant=tenant, package=package, developer=developer, rule_id=rule_id.strip(),
                evidence_match=evidence_match, reason=reason.strip(), expires_at=expires_at, author=author,
                author_identified_by=identified_by, created_at=now).returning(WaiverRow.id)).scalar_one()
            w = self._waiver(conn.execute(select(WaiverRow).where(WaiverRow.id == waiver_id)).one())
            self._audit(conn, author, "waiver.add", "waiver", str(waiver_id), tenant, w, now)
        return w

    def get_waiver(self, waiver_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(WaiverRow).where(WaiverRow.id == waiver_id)).first()
        return self._waiver(row) if row else None

    def waivers(self, tenant: str, *, active_at: float | None = None, include_revoked: bool = False
                ) -> list[dict[str, Any]]:
        query = select(WaiverRow).where(WaiverRow.tenant == tenant)
        if not include_revoked:
            query = query.where(WaiverRow.revoked_at.is_(None))
        if active_at is not None:
            query = query.where(or_(WaiverRow.expires_at.is_(None), WaiverRow.expires_at > active_at))
        with self.engine.connect() as conn:
            return [self._waiver(r) for r in conn.execute(query.order_by(WaiverRow.id))]

    def matching_waivers(self, tenant: str, package: str | None, developer: str | None, *,
                         at: float | None = None) -> list[dict[str, Any]]:
        """Active waivers that apply to this package or developer (the caller matches rule and evidence)."""
        when = time.time() if at is None else at
        names = [WaiverRow.package == package] if package else []
        if developer:
            names.append(WaiverRow.developer == developer)
        if not names:
            return []
        query = (select(WaiverRow).where(WaiverRow.tenant == tenant, WaiverRow.revoked_at.is_(None), or_(*names),
                                         or_(WaiverRow.expires_at.is_(None), WaiverRow.expires_at > when))
                 .order_by(WaiverRow.id))
        with self.engine.connect() as conn:
            return [self._waiver(r) for r in conn.execute(query)]

    def update_waiver(self, waiver_id: int, actor: str, *, reason: str | None = None,
                      expires_at: float | None = None, evidence_match: str | None = None) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if reason is not None:
            if not reason.strip():
                raise RecordError("a waiver needs a reason")
            changes["reason"] = reason.strip()
        if expires_at is not None:
            changes["expires_at"] = expires_at
        if evidence_match is not None:
            changes["evidence_match"] = evidence_match or None
        with self._tx() as conn:
            before = conn.execute(select(WaiverRow).where(WaiverRow.id == waiver_id).with_for_update()).first()
            if before is None or before.revoked_at is not None:
                raise RecordError(f"no active waiver {waiver_id}")
            if changes:
                conn.execute(update(WaiverRow).where(WaiverRow.id == waiver_id).values(**changes))
            after = self._waiver(conn.execute(select(WaiverRow).where(WaiverRow.id == waiver_id)).one())
            self._audit(conn, actor, "waiver.update", "waiver", str(waiver_id), before.tenant,
                        {"before": self._waiver(before), "after": after})
        return after

    def revoke_waiver(self, waiver_id: int, actor: str, *, identified_by: str | None = None) -> bool:
        """Ends a waiver (kept, marked revoked, so the record shows what was waived when). ``identified_by``
        (IDENTIFIED_BY) says how the actor was identified: kept on the waiver and in the audit row."""
        _check_identified_by(identified_by)
        now = time.time()
        with self._tx() as conn:
            row = conn.execute(select(WaiverRow.tenant).where(WaiverRow.id == waiver_id)).first()
            done = conn.execute(update(WaiverRow).where(WaiverRow.id == waiver_id, WaiverRow.revoked_at.is_(None))
                                .values(revoked_at=now, revoked_by=actor,
                                        revoked_by_identified_by=identified_by)).rowcount
            if done and row is not None:
                self._audit(conn, actor, "waiver.revoke", "waiver", str(waiver_id), row.tenant,
                            {"revoked_by_identified_by": identified_by}, at=now)
        return bool(done)

    # -- the audit log (read only: nothing here changes or removes a row) ------------------------------------

    def append_audit(self, actor: str, action: str, subject_kind: str, subject_id: str, tenant: str | None = None,
                     data: Mapping[str, Any] | None = None) -> None:
        """One more row of the log, on its own (a step that changes nothing else, e.g. an override request)."""
        with self._tx() as conn:
            self._audit(conn, actor, action, subject_kind, subject_id, tenant, data)

    def audit_log(self, *, subject_kind: str | None = None, subject_id: str | None = None,
                  tenant: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        query = select(AuditRow)
        if subject_kind:
            query = query.where(AuditRow.subject_kind == subject_kind)
        if subject_id:
            query = query.where(AuditRow.subject_id == subject_id)
        if tenant:
            query = query.where(AuditRow.tenant == tenant)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(AuditRow.id).limit(limit)).all()
        return [{"id": r.id, "at": r.at, "actor": r.actor, "action": r.action, "tenant": r.tenant,
                 "subject_kind": r.subject_kind, "subject_id": r.subject_id, "data": dict(r.data or {})} for r in rows]

    # -- reports -------------------------------------------------------------------------------------------

    def decisions_report(self, start: float, end: float, tenant: str | None = None) -> list[dict[str, Any]]:
        """Every build decided (by the gate or a reviewer) in [start, end): verdict, rules fired, the latest
        review decision with its reviewer, reason and time. Oldest first."""
        b, d = BuildRow, DecisionRow
        latest = (select(d.build_id, func.max(d.id).label("id")).group_by(d.build_id).subquery())
        d2 = aliased(DecisionRow)
        decided_in = exists().where(d2.build_id == b.build_id, d2.decided_at >= start, d2.decided_at < end)
        query = (select(b.build_id, b.tenant, b.platform_build_id, b.package, b.version_code, b.verdict, b.status,
                        b.review_status, b.decided_at, b.developer, b.category, d.decision, d.reviewer, d.reason,
                        d.decided_at.label("reviewed_at"), d.reviewer_identified_by)
                 .outerjoin(latest, latest.c.build_id == b.build_id)
                 .outerjoin(d, d.id == latest.c.id)
                 .where(or_(and_(b.decided_at >= start, b.decided_at < end), decided_in))
                 .order_by(b.decided_at, b.build_id))
        if tenant:
            query = query.where(b.tenant == tenant)
        return self._with_rules(query)

    # -- retention -----------------------------------------------------------------------------------------

    def _full(self, conn: Connection, build: dict[str, Any]) -> dict[str, Any]:
        build_id = build["build_id"]
        findings = [dict(r._mapping) for r in conn.execute(
            select(FindingRow).where(FindingRow.build_id == build_id).order_by(FindingRow.seq))]
        sdks = [dict(r._mapping) for r in conn.execute(
            select(FindingSdkRow).where(FindingSdkRow.build_id == build_id)
            .order_by(FindingSdkRow.seq, FindingSdkRow.sdk))]
        deliveries = [dict(r._mapping) for r in conn.execute(
            select(DeliveryRow.attempt, DeliveryRow.created_at).where(DeliveryRow.build_id == build_id)
            .order_by(DeliveryRow.id))]
        decisions = [dict(r._mapping) for r in conn.execute(
            select(DecisionRow.tenant, DecisionRow.decision, DecisionRow.reason, DecisionRow.reviewer,
                   DecisionRow.decided_at, DecisionRow.reviewer_identified_by, DecisionRow.callback_job_id,
                   DecisionRow.callback_result, DecisionRow.callback_delivered_at)
            .where(DecisionRow.build_id == build_id).order_by(DecisionRow.id))]
        return {"build": build, "findings": findings, "finding_sdks": sdks, "deliveries": deliveries,
                "decisions": decisions}

    def archive(self, older_than_days: float, to_dir: str | os.PathLike[str], *, now: float | None = None,
                batch: int = 500) -> dict[str, Any]:
        """Write every decided build received more than ``older_than_days`` ago to a JSON Lines file under
        ``to_dir`` (one line per build: the build with its verdict, findings, deliveries and decisions), then
        delete them. Each batch is on disk (fsync) before its rows are deleted, in the transaction that
        deletes them. History entries and the audit log stay. Returns the count and the file."""
        cutoff = (time.time() if now is None else now) - older_than_days * _DAY
        folder = Path(to_dir)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
        path = folder / f"builds-{stamp}-{secrets.token_hex(3)}.jsonl"
        count = 0
        with path.open("a", encoding="utf-8") as out:
            while True:
                with self._tx() as conn:
                    found = self._builds(conn, and_(BuildRow.received_at < cutoff, BuildRow.status.in_(FINAL)),
                                         (BuildRow.received_at, BuildRow.build_id), batch)
                    if not found:
                        break
                    for build in found:
                        out.write(json.dumps(self._full(conn, build), ensure_ascii=False, sort_keys=True) + "\n")
                    out.flush()
                    os.fsync(out.fileno())
                    conn.execute(delete(BuildRow).where(BuildRow.build_id.in_([x["build_id"] for x in found])))
                    count += len(found)
        if not count:
            path.unlink(missing_ok=True)
        return {"builds": count, "file": str(path) if count else None, "cutoff": cutoff}

    def restore(self, path: str | os.PathLike[str]) -> int:
        """Put archived builds back (an archive file from :meth:`archive`); returns how many."""
        count = 0
        with Path(path).open(encoding="utf-8") as src, self._tx() as conn:
            for line in src:
                if not line.strip():
                    continue
                item = json.loads(line)
                build = dict(item["build"])
                document = build.pop("verdict", None)
                outcome = build.pop("outcome", None)
                cols, extra = self._split(build)
                conn.execute(insert(BuildRow).values(**cols, verdict=outcome, extra=extra))
                if document is not None:
                    conn.execute(insert(VerdictRow).values(build_id=build["build_id"], document=document))
                if item["findings"]:
                    conn.execute(insert(FindingRow), item["findings"])
                if item["finding_sdks"]:
                    conn.execute(insert(FindingSdkRow), item["finding_sdks"])
                for dl in item["deliveries"]:
                    conn.execute(insert(DeliveryRow).values(build_id=build["build_id"], **dl))
                for dec in item["decisions"]:
                    conn.execute(insert(DecisionRow).values(build_id=build["build_id"], **dec))
                count += 1
        return count


class RecordHistory:
    """gate.history.History for one tenant, backed by the record; ``sha256`` is the binary being analysed."""

    def __init__(self, record: Record, tenant: str, sha256: str | None = None) -> None:
        self.record = record
        self.tenant = tenant
        self.sha256 = sha256

    def versions(self, package: str) -> list[dict[str, Any]]:
        return self.record.history(self.tenant, package, exclude_sha256=self.sha256)

    def delisted(self, package: str, developer_id: str | None) -> dict[str, Any] | None:
        return self.record.delisted_lookup(package, developer_id)

    def waivers(self, package: str, developer_id: str | None) -> list[dict[str, Any]]:
        return self.record.matching_waivers(self.tenant, package, developer_id)

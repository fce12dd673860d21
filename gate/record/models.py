"""The record's tables (SQLAlchemy 2 typed declarative). Times are UNIX seconds (float), as in the Redis store.

The verdict stays one JSON document per build (``verdicts``); what is asked across builds is broken out into
rows: one ``findings`` row per finding (its SDKs in ``finding_sdks``), one ``history`` row per version of a
package at a store, keyed by (tenant, package, version code, sha256) so that the same binary again is the same
version. ``audit_log`` is append-only: the repository has no call that changes or removes a row, and the
migration installs triggers that refuse UPDATE and DELETE on both databases.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

# JSONB on PostgreSQL (compressed by TOAST, indexable), JSON text on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")
# 64-bit ids on PostgreSQL; SQLite's INTEGER PRIMARY KEY is the rowid only when spelled INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")



class Document(TypeDecorator[dict[str, Any]]):
    """A verdict document: JSONB on PostgreSQL (which compresses it, TOAST), zlib-compressed JSON on SQLite
    (which would keep the text as it is: ~47 KiB for a typical app, ~6 KiB compressed)."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 6)

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        if value is None or dialect.name == "postgresql":
            return value  # type: ignore[no-any-return]
        loaded: dict[str, Any] = json.loads(zlib.decompress(value))
        return loaded


NAMING = {"ix": "ix_%(table_name)s_%(column_0_N_name)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s"}

REVIEW_STATUSES = ("not_required", "pending", "approved", "rejected")
ROLES = ("reviewer", "senior", "admin")
# What the latest attempt of a decision's callback came to (webhooks.outbound.send); all but "retrying" are final.
CALLBACK_RESULTS = ("delivered", "retrying", "gave_up", "gone", "skipped")
CALLBACK_FINAL = ("delivered", "gave_up", "gone", "skipped")
# How a decision's reviewer (or a waiver's author, or whoever revoked it) was identified: signed in on the review
# pages (an account, its password, its session), or named in a request made with the store's API token (the token
# vouches for the store, the name is the store's word).
REVIEW_SESSION = "review_session"
STORE_TOKEN = "store_token"
IDENTIFIED_BY = (REVIEW_SESSION, STORE_TOKEN)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: Json, list[Any]: Json}


class TenantRow(Base):
    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    callback_url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    allowed_hosts: Mapped[list[Any]] = mapped_column(default=list)
    policy: Mapped[str | None] = mapped_column(String(100))
    policy_override: Mapped[dict[str, Any]] = mapped_column(default=dict)
    callback_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # A store may ask that `block` verdicts wait for a reviewer too (interface.md section 8).
    review_blocks: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)


class BuildRow(Base):
    __tablename__ = "builds"
    __table_args__ = (
        # the review queue: pending builds of a tenant by decision time
        Index("ix_builds_queue", "tenant", "review_status", "decided_at"),
        # a package's builds, newest first
        Index("ix_builds_package", "tenant", "package", "decided_at"),
        Index("ix_builds_tenant_received", "tenant", "received_at"),
        Index("ix_builds_decided", "decided_at"),
        # the queue filtered by developer (a developer has few builds among many pending)
        Index("ix_builds_developer", "tenant", "developer", "review_status", "decided_at"),
        # the reaper's work list: builds not decided yet (few among many)
        Index("ix_builds_status", "status"),
    )

    build_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    platform_build_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    review_status: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    decided_at: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    verdict_token: Mapped[str] = mapped_column(String(100), unique=True)
    apk_name: Mapped[str | None] = mapped_column(Text)
    apk_path: Mapped[str | None] = mapped_column(Text)
    apk_size: Mapped[int] = mapped_column(BigInteger, default=0)
    apk_sha256: Mapped[str | None] = mapped_column(String(64))
    artifact: Mapped[dict[str, Any] | None] = mapped_column()
    listing: Mapped[dict[str, Any] | None] = mapped_column()
    # set when the build is decided, from the verdict and the listing
    verdict: Mapped[str | None] = mapped_column(String(8))
    package: Mapped[str | None] = mapped_column(String(255))
    version_code: Mapped[int | None] = mapped_column(BigInteger)
    developer: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(64))
    # any other field the service keeps on a build (so a new field needs no migration)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class VerdictRow(Base):
    __tablename__ = "verdicts"

    build_id: Mapped[str] = mapped_column(ForeignKey("builds.build_id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(Document())


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_rule", "rule_id", "created_at"),
        Index("ix_findings_package", "tenant", "package", "created_at"),
        Index("ix_findings_developer", "developer", "created_at"),
        Index("ix_findings_created", "created_at"),
        {"sqlite_with_rowid": False},  # the primary key is the table: no second copy of it
    )

    build_id: Mapped[str] = mapped_column(ForeignKey("builds.build_id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tenant: Mapped[str] = mapped_column(String(63))
    rule_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(8))
    # the first SDK the evidence names; every SDK it names is in finding_sdks
    sdk: Mapped[str | None] = mapped_column(String(100))
    package: Mapped[str | None] = mapped_column(String(255))
    developer: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(64))
    evidence_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[float] = mapped_column(Float)


class FindingSdkRow(Base):
    __tablename__ = "finding_sdks"
    __table_args__ = (
        Index("ix_finding_sdks_sdk", "sdk", "build_id"),
        {"sqlite_with_rowid": False},
    )

    build_id: Mapped[str] = mapped_column(ForeignKey("builds.build_id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sdk: Mapped[str] = mapped_column(String(100), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(8))


class HistoryRow(Base):
    """One version of a package at a store. The same binary (version code and sha256) again is this row."""

    __tablename__ = "history"
    __table_args__ = (UniqueConstraint("tenant", "package", "version_key", "sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    package: Mapped[str] = mapped_column(String(255))
    # version_code, or -1 when the manifest has none (NULLs never collide in a unique key)
    version_key: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    version_code: Mapped[int | None] = mapped_column(BigInteger)
    version_name: Mapped[str | None] = mapped_column(String(255))
    certificates: Mapped[list[Any]] = mapped_column(default=list)
    verdict: Mapped[str | None] = mapped_column(String(8))
    finding_keys: Mapped[list[Any]] = mapped_column(default=list)
    first_build_id: Mapped[str] = mapped_column(String(40))
    build_id: Mapped[str] = mapped_column(String(40))
    builds: Mapped[int] = mapped_column(Integer, default=1)
    first_decided_at: Mapped[float] = mapped_column(Float)
    decided_at: Mapped[float] = mapped_column(Float)


class DeliveryRow(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    build_id: Mapped[str] = mapped_column(ForeignKey("builds.build_id", ondelete="CASCADE"), index=True)
    attempt: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[float] = mapped_column(Float)


class DelistedRow(Base):
    """The delisted registry, one row per name it is found by (as the Redis store keeps it)."""

    __tablename__ = "delisted"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # package | developer
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    package: Mapped[str | None] = mapped_column(String(255))
    developer: Mapped[str | None] = mapped_column(String(255))
    notice: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[str] = mapped_column(String(32))


class ReviewerRow(Base):
    __tablename__ = "reviewers"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Float)


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    build_id: Mapped[str] = mapped_column(ForeignKey("builds.build_id", ondelete="CASCADE"), index=True)
    tenant: Mapped[str] = mapped_column(String(63))
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject
    reason: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[float] = mapped_column(Float, index=True)
    # IDENTIFIED_BY: how the reviewer (and the second reviewer) were identified; None for decisions made before
    # the record kept it (migration 0004)
    reviewer_identified_by: Mapped[str | None] = mapped_column(String(16))
    # its build.decision callback: the RQ job that sends it (None: never queued, Redis was down), the result of
    # its latest attempt (None: no attempt yet; CALLBACK_RESULTS) and when the store took it (None: not yet).
    # The reaper queues it again while it has neither a final result nor a live job.
    callback_job_id: Mapped[str | None] = mapped_column(String(100))
    callback_result: Mapped[str | None] = mapped_column(String(16))
    callback_delivered_at: Mapped[float | None] = mapped_column(Float)


class WaiverRow(Base):
    __tablename__ = "waivers"
    __table_args__ = (Index("ix_waivers_lookup", "tenant", "rule_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.name", ondelete="CASCADE"))
    package: Mapped[str | None] = mapped_column(String(255))
    developer: Mapped[str | None] = mapped_column(String(255))
    rule_id: Mapped[str] = mapped_column(String(64))
    evidence_match: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float | None] = mapped_column(Float)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    # IDENTIFIED_BY: how the author (and whoever revoked it) were identified; None for waivers added (revoked)
    # before the record kept it (migration 0005)
    author_identified_by: Mapped[str | None] = mapped_column(String(16))
    revoked_by_identified_by: Mapped[str | None] = mapped_column(String(16))


class AuditRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_kind", "subject_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    tenant: Mapped[str | None] = mapped_column(String(63))
    subject_kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

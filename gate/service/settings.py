"""Service settings, read from the environment (``GATE_`` prefix, plus ``REDIS_URL``).

Units are in the names: bytes, seconds. The analysis limits themselves live in the policy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gate import defaults
from gate.defaults import CALLBACK_RETRY_INTERVALS_S as CALLBACK_RETRY_INTERVALS_S


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _ints(value: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
    if not value:
        return default
    return tuple(int(part) for part in value.replace(" ", "").split(",") if part)


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None
    # The record (tenants, builds, verdicts, history...): a SQLAlchemy URL, PostgreSQL in production; without it
    # an embedded SQLite file under the data directory (gate.record.db.database_url).
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path("var"))
    public_url: str = "http://127.0.0.1:8000"
    policy: str = "cn-default"
    key_prefix: str = "gate:"
    keep_apks: bool = False
    # Uploads larger than this are refused with 413 before they are read.
    max_upload_bytes: int = defaults.MAX_UPLOAD_BYTES
    webhook_tolerance_s: int = defaults.WEBHOOK_TOLERANCE_S
    # How long a webhook-id is remembered for redelivery (7 days, longer than any sender's retries).
    webhook_dedupe_ttl_s: int = defaults.WEBHOOK_DEDUPE_TTL_S
    # How long a webhook-id stays claimed while its build is being stored; a claim whose build never got
    # stored (Redis or the process died in between) lapses after this, so the store's retry is accepted.
    webhook_claim_ttl_s: int = defaults.WEBHOOK_CLAIM_TTL_S
    # Whole time a client may take to send a request's line and headers (gunicorn worker; see
    # gate/web/gunicorn_worker.py); slower clients are disconnected.
    header_timeout_s: float = defaults.HEADER_TIMEOUT_S
    # Hard limit on one analysis job; RQ kills the work horse past it.
    job_timeout_s: int = defaults.JOB_TIMEOUT_S
    # Worker heartbeat while a job runs; a build whose worker stays silent 4x this long is reaped.
    job_heartbeat_s: int = defaults.JOB_HEARTBEAT_S
    # Address-space cap of one analysis job (the forked work horse); 0 disables it.
    job_memory_bytes: int = defaults.JOB_MEMORY_BYTES
    callback_timeout_s: float = defaults.CALLBACK_TIMEOUT_S
    callback_retry_intervals_s: tuple[int, ...] = CALLBACK_RETRY_INTERVALS_S
    artifact_timeout_s: float = defaults.ARTIFACT_TIMEOUT_S
    # Whole time a client may take to send a webhook body (512 MB at 2 MB/s); slower senders get 408.
    body_timeout_s: float = defaults.BODY_TIMEOUT_S
    # Webhooks accepted per tenant per minute; more answer 429 (0 disables the limit).
    rate_limit_per_minute: int = defaults.RATE_LIMIT_PER_MINUTE
    # Operators' API (/api/v1/admin/...): disabled unless a token is set.
    admin_token: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        e = os.environ if env is None else env
        base = cls(
            redis_url=e.get("REDIS_URL") or None,
            database_url=e.get("DATABASE_URL") or None,
            data_dir=Path(e.get("GATE_DATA_DIR", "var")),
            public_url=e.get("GATE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            policy=e.get("GATE_POLICY", "cn-default"),
            key_prefix=e.get("GATE_KEY_PREFIX", "gate:"),
            keep_apks=_bool(e.get("GATE_KEEP_APKS"), False),
            max_upload_bytes=int(e.get("GATE_MAX_UPLOAD_BYTES", defaults.MAX_UPLOAD_BYTES)),
            webhook_tolerance_s=int(e.get("GATE_WEBHOOK_TOLERANCE_S", defaults.WEBHOOK_TOLERANCE_S)),
            webhook_claim_ttl_s=int(e.get("GATE_WEBHOOK_CLAIM_TTL_S", defaults.WEBHOOK_CLAIM_TTL_S)),
            header_timeout_s=float(e.get("GATE_HEADER_TIMEOUT_S", defaults.HEADER_TIMEOUT_S)),
            job_timeout_s=int(e.get("GATE_JOB_TIMEOUT_S", defaults.JOB_TIMEOUT_S)),
            job_heartbeat_s=int(e.get("GATE_JOB_HEARTBEAT_S", defaults.JOB_HEARTBEAT_S)),
            job_memory_bytes=int(e.get("GATE_JOB_MEMORY_BYTES", defaults.JOB_MEMORY_BYTES)),
            callback_timeout_s=float(e.get("GATE_CALLBACK_TIMEOUT_S", defaults.CALLBACK_TIMEOUT_S)),
            callback_retry_intervals_s=_ints(e.get("GATE_CALLBACK_RETRY_INTERVALS_S"), CALLBACK_RETRY_INTERVALS_S),
            artifact_timeout_s=float(e.get("GATE_ARTIFACT_TIMEOUT_S", defaults.ARTIFACT_TIMEOUT_S)),
            body_timeout_s=float(e.get("GATE_BODY_TIMEOUT_S", defaults.BODY_TIMEOUT_S)),
            admin_token=e.get("GATE_ADMIN_TOKEN") or None,
            rate_limit_per_minute=int(e.get("GATE_RATE_LIMIT_PER_MINUTE", defaults.RATE_LIMIT_PER_MINUTE)),
        )
        return replace(base, **overrides) if overrides else base

    @property
    def record_url(self) -> str:
        """DATABASE_URL, else the embedded SQLite file under the data directory."""
        from gate.record.db import database_url

        return database_url({"DATABASE_URL": self.database_url or "", "GATE_DATA_DIR": str(self.data_dir)})

    @property
    def apk_dir(self) -> Path:
        return self.data_dir / "apks"

    def env(self) -> dict[str, str]:
        """The environment that gives a child process (a worker) these settings."""
        out = {
            "GATE_DATA_DIR": str(self.data_dir), "GATE_PUBLIC_URL": self.public_url, "GATE_POLICY": self.policy,
            "GATE_KEY_PREFIX": self.key_prefix, "GATE_KEEP_APKS": "1" if self.keep_apks else "0",
            "GATE_MAX_UPLOAD_BYTES": str(self.max_upload_bytes), "GATE_JOB_TIMEOUT_S": str(self.job_timeout_s),
            "GATE_JOB_HEARTBEAT_S": str(self.job_heartbeat_s),
            "GATE_JOB_MEMORY_BYTES": str(self.job_memory_bytes),
            "GATE_CALLBACK_TIMEOUT_S": str(self.callback_timeout_s),
            "GATE_CALLBACK_RETRY_INTERVALS_S": ",".join(str(i) for i in self.callback_retry_intervals_s),
            "GATE_WEBHOOK_TOLERANCE_S": str(self.webhook_tolerance_s),
            "GATE_WEBHOOK_CLAIM_TTL_S": str(self.webhook_claim_ttl_s),
            "GATE_HEADER_TIMEOUT_S": str(self.header_timeout_s),
            "GATE_ARTIFACT_TIMEOUT_S": str(self.artifact_timeout_s),
            "GATE_BODY_TIMEOUT_S": str(self.body_timeout_s),
            "GATE_RATE_LIMIT_PER_MINUTE": str(self.rate_limit_per_minute),
        }
        if self.redis_url:
            out["REDIS_URL"] = self.redis_url
        if self.database_url:
            out["DATABASE_URL"] = self.database_url
        if self.admin_token:
            out["GATE_ADMIN_TOKEN"] = self.admin_token
        return out

"""Redis: only what is in flight - webhook-id claims, rate limits and locks, every key with a TTL.

The service keeps tenants, builds, verdicts, history, deliveries and delisted entries in the record
(gate.record.repository). The store before the record kept them here too, in keys that never expired; that
layout is gate.record.legacy_store's, which the one-time import (gate.record.importer) reads.

Keys (under the configured prefix, ``gate:`` by default):

- ``webhook:{tenant}:{sha256 of webhook-id}`` → build id: claimed for ``webhook_claim_ttl_s`` while the build is
  stored, then kept for the dedupe period (``webhook_dedupe_ttl_s``, 7 days)
- ``rate:{tenant}:{minute}``, ``rate-unauth:{address}:{minute}``: request counts, 120 s
- ``reaper-lock`` (30 s), ``retention-ran`` (a day): locks
- ``metrics:{name}``: the Prometheus counters and histograms, one hash per metric (bounded by its labels)
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any, Self

import redis

from gate.errors import GateError
from gate.record.tenant import Tenant as Tenant  # the service and the web API import it from here


class StoreError(GateError, ValueError):
    pass


class ClaimLost(GateError):
    """Another delivery of the same webhook-id holds its claim now (this one's lapsed): store nothing."""


def new_build_id() -> str:
    return "b_" + secrets.token_hex(12)


def new_page_token() -> str:
    """256 random bits, URL-safe: the verdict page link is the only key to it."""
    return secrets.token_urlsafe(32)


class Store:
    def __init__(self, client: redis.Redis, prefix: str = "gate:", url: str | None = None) -> None:
        # Any: redis-py's return types do not follow decode_responses=True (every reply here is str).
        self.r: Any = client
        self.p = prefix
        self.url = url

    @classmethod
    def from_url(cls, url: str, prefix: str = "gate:") -> Self:
        return cls(redis.Redis.from_url(url, decode_responses=True, health_check_interval=30), prefix, url)

    def k(self, *parts: str) -> str:
        return self.p + ":".join(parts)

    def take_rate(self, tenant: str, per_minute: int, now: float | None = None) -> int:
        """Count one request in the tenant's current minute; returns seconds to wait, 0 when allowed.

        Only requests the tenant's secret signed are counted here (strangers cannot spend its budget)."""
        return self._count_rate(self.k("rate", tenant), per_minute, now, charge=True)

    def unauthenticated_wait(self, source: str, per_minute: int, now: float | None = None, *,
                             charge: bool = False) -> int:
        """The budget of requests that failed authentication, per source address, kept apart from every
        tenant's: with ``charge`` one more is counted; returns seconds to wait, 0 while under the limit."""
        return self._count_rate(self.k("rate-unauth", source), per_minute, now, charge=charge)

    def _count_rate(self, base: str, per_minute: int, now: float | None, *, charge: bool) -> int:
        if per_minute <= 0:
            return 0
        current = time.time() if now is None else now
        key = f"{base}:{int(current // 60)}"
        if charge:
            with self.r.pipeline() as pipe:
                pipe.incr(key)
                pipe.expire(key, 120)
                count, _ = pipe.execute()
            over = int(count) > per_minute
        else:
            over = int(self.r.get(key) or 0) >= per_minute
        return max(1, 60 - int(current % 60)) if over else 0

    # -- webhook dedupe -----------------------------------------------------------------------------

    def _claim_key(self, tenant: str, msg_id: str) -> str:
        return self.k("webhook", tenant, hashlib.sha256(msg_id.encode()).hexdigest())

    def claim_webhook(self, tenant: str, msg_id: str, build_id: str, ttl_s: int) -> str | None:
        """Claim ``msg_id`` for ``build_id`` for ``ttl_s`` (the time to store the build: create_build then
        keeps the claim for the dedupe period in the same transaction); if already claimed, return the build
        it names. A claim whose build never got stored (the process or Redis died in between, and the release
        failed too) lapses after ``ttl_s``, so the store's retry is accepted."""
        key = self._claim_key(tenant, msg_id)
        if self.r.set(key, build_id, nx=True, ex=ttl_s):
            return None
        existing: str | None = self.r.get(key)
        return existing

    def release_webhook(self, tenant: str, msg_id: str, build_id: str | None = None) -> None:
        """Forget the claim (only if it still names ``build_id``, when given)."""
        key = self._claim_key(tenant, msg_id)
        if build_id is None:
            self.r.delete(key)
            return
        with self.r.pipeline() as pipe:
            try:
                pipe.watch(key)
                if pipe.get(key) == build_id:
                    pipe.multi()
                    pipe.delete(key)
                    pipe.execute()
            except redis.WatchError:
                pass

    def commit_claim(self, tenant: str, msg_id: str, build_id: str, ttl_s: int,
                     also: Callable[[Any], object] | None = None) -> None:
        """The build is in the record: keep its webhook claim for the dedupe period (``ttl_s``) and write
        whatever ``also`` adds (the analysis job) in one MULTI/EXEC. Raises ClaimLost when another delivery of
        the same webhook-id holds the claim now (this one's lapsed)."""
        key = self._claim_key(tenant, msg_id)
        with self.r.pipeline(transaction=True) as pipe:
            pipe.watch(key)
            if pipe.get(key) not in (None, build_id):
                pipe.unwatch()
                raise ClaimLost(msg_id)
            pipe.multi()
            pipe.set(key, build_id, ex=ttl_s)
            if also is not None:
                also(pipe)
            try:
                pipe.execute()
            except redis.WatchError:
                if self.r.get(key) not in (None, build_id):
                    raise ClaimLost(msg_id) from None
                raise redis.ConnectionError("the connection to Redis broke while storing the build") from None

    # -- health and locks ---------------------------------------------------------------------------

    def ping(self) -> None:
        """Raises redis.RedisError when the store cannot be reached."""
        self.r.ping()

    def take_lock(self, name: str, ttl_s: int) -> bool:
        """A lock held for at most ``ttl_s`` seconds; False when another process holds it."""
        return bool(self.r.set(self.k(name), "1", nx=True, ex=ttl_s))

    def release_lock(self, name: str) -> None:
        self.r.delete(self.k(name))

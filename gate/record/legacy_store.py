"""The Redis-only store of the gate before the record, whose keys never expired.

Nothing in the service writes these keys any more. They stay readable and writable here for the one-time import
(gate.record.importer reads them; its tests and the service's first-start test write them with this class, as
the old gate did). The layout, under the prefix (``gate:``):

- ``tenant:{name}`` hash, ``tenants`` set, ``token:{sha256 of api token}`` → tenant name
- ``build:{id}`` hash (status, timestamps, listing, verdict JSON, verdict page token, ...)
- ``builds:{tenant}`` zset of build ids by arrival; ``pkg:{tenant}:{package}`` zset, the same per package
- ``vtoken:{token}`` → build id (the verdict page link)
- ``deliveries:{build id}`` list of callback attempts (JSON)
- ``history:{tenant}:{package}`` list of decided versions (JSON: version, certificates, finding keys)
- ``delisted:package`` / ``delisted:developer`` hashes of delisted entries (JSON)
- ``active`` zset of builds queued or running; ``undelivered`` zset of decided builds with no callback attempt
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

import redis

from gate.core.history import history_entry
from gate.record.build import FINAL, Build, encode
from gate.record.store import ClaimLost, Store, StoreError
from gate.record.tenant import TENANT_NAME, Tenant, token_hash
from gate.service import webhook_signing


class RedisOnlyStore(Store):
    """The old store's calls, on the same Redis keys."""

    def add_tenant(self, name: str, callback_url: str, allowed_hosts: Iterable[str] = (),
                   policy: str | None = None) -> tuple[Tenant, str]:
        if not TENANT_NAME.match(name):
            raise StoreError("a tenant name is 1-63 lowercase letters, digits, '-' or '_'")
        if not re.match(r"^https?://[^\s/]+", callback_url):
            raise StoreError("the callback URL must be an http(s) URL")
        token = "gt_" + secrets.token_urlsafe(32)
        tenant = Tenant(name=name, callback_url=callback_url, secret=webhook_signing.new_secret(),
                        token_hash=token_hash(token), allowed_hosts=sorted({h.lower() for h in allowed_hosts}),
                        policy=policy, created_at=time.time())
        if not self.r.hsetnx(self.k("tenant", name), "name", name):
            raise StoreError(f"tenant {name} already exists (use rotate for new credentials)")
        self._save_tenant(tenant)
        self.r.set(self.k("token", tenant.token_hash), name)
        self.r.sadd(self.k("tenants"), name)
        return tenant, token

    def _save_tenant(self, t: Tenant) -> None:
        self.r.hset(self.k("tenant", t.name), mapping={
            "name": t.name, "callback_url": t.callback_url, "secret": t.secret, "token_hash": t.token_hash,
            "allowed_hosts": json.dumps(t.allowed_hosts), "policy": t.policy or "", "created_at": t.created_at,
            "callback_disabled": "1" if t.callback_disabled else "0",
            "policy_override": json.dumps(t.policy_override or {}),
        })

    def get_tenant(self, name: str) -> Tenant | None:
        if not TENANT_NAME.match(name):
            return None
        h = self.r.hgetall(self.k("tenant", name))
        if not h or "secret" not in h:
            return None
        return Tenant(name=h["name"], callback_url=h["callback_url"], secret=h["secret"], token_hash=h["token_hash"],
                      allowed_hosts=json.loads(h.get("allowed_hosts") or "[]"), policy=h.get("policy") or None,
                      created_at=float(h.get("created_at") or 0), callback_disabled=h.get("callback_disabled") == "1",
                      policy_override=json.loads(h.get("policy_override") or "{}"))

    def list_tenants(self) -> list[Tenant]:
        return [t for n in sorted(self.r.smembers(self.k("tenants"))) if (t := self.get_tenant(n))]

    def rotate_tenant(self, name: str) -> tuple[Tenant, str]:
        tenant = self.get_tenant(name)
        if tenant is None:
            raise StoreError(f"no tenant {name}")
        token = "gt_" + secrets.token_urlsafe(32)
        self.r.delete(self.k("token", tenant.token_hash))
        tenant.secret = webhook_signing.new_secret()
        tenant.token_hash = token_hash(token)
        self._save_tenant(tenant)
        self.r.set(self.k("token", tenant.token_hash), name)
        return tenant, token

    def update_tenant(self, name: str, **fields: Any) -> Tenant:
        tenant = self.get_tenant(name)
        if tenant is None:
            raise StoreError(f"no tenant {name}")
        for key, value in fields.items():
            setattr(tenant, key, value)
        self._save_tenant(tenant)
        return tenant

    def tenant_by_token(self, token: str) -> Tenant | None:
        name = self.r.get(self.k("token", token_hash(token)))
        return self.get_tenant(name) if name else None

    def create_build(self, build: Build, *, claim: tuple[str, int] | None = None,
                     also: Callable[[Any], object] | None = None) -> None:
        """Store the build in one MULTI/EXEC: its record, its lists, and, when given, its webhook claim kept for
        the dedupe period (``claim``: webhook-id and TTL) and whatever ``also`` writes into the transaction
        (the analysis job). Either all of it is stored or none of it."""
        now = time.time()
        record = build.to_record()
        with self.r.pipeline(transaction=True) as pipe:
            claim_key = None
            if claim is not None:
                # the claim must still be this build's (or have lapsed unclaimed): if another delivery of the
                # same webhook-id took it meanwhile, that one stores the build, not this one
                claim_key = self._claim_key(build.tenant, claim[0])
                pipe.watch(claim_key)
                if pipe.get(claim_key) not in (None, build.build_id):
                    pipe.unwatch()
                    raise ClaimLost(claim[0])
            pipe.multi()
            pipe.hset(self.k("build", build.build_id), mapping=record)
            pipe.zadd(self.k("builds", build.tenant), {build.build_id: now})
            pipe.set(self.k("vtoken", build.verdict_token), build.build_id)
            pipe.zadd(self.k("active"), {build.build_id: now})
            if claim is not None and claim_key is not None:
                pipe.set(claim_key, build.build_id, ex=claim[1])
            if also is not None:
                also(pipe)
            try:
                pipe.execute()
            except redis.WatchError:
                # redis-py also says WatchError when the connection broke while watching: tell them apart
                if claim_key is not None and self.r.get(claim_key) not in (None, build.build_id):
                    raise ClaimLost(claim[0] if claim else "") from None
                raise redis.ConnectionError("the connection to Redis broke while storing the build") from None

    def get_build(self, build_id: str) -> Build | None:
        h: dict[str, str] = self.r.hgetall(self.k("build", build_id))
        return Build.from_record(h) if h else None

    def update_build(self, build_id: str, **fields: Any) -> None:
        """Set some fields of a build (names and values as in ``Build``)."""
        with self.r.pipeline() as pipe:
            pipe.hset(self.k("build", build_id), mapping=encode(fields))
            if fields.get("status") in ("queued", "running"):
                pipe.zadd(self.k("active"), {build_id: time.time()})
            pipe.execute()

    def mark_running(self, build_id: str) -> int:
        """Status running, one more attempt; returns the attempt number."""
        with self.r.pipeline() as pipe:
            pipe.hincrby(self.k("build", build_id), "attempts", 1)
            pipe.hset(self.k("build", build_id), mapping={"status": "running", "started_at": time.time()})
            pipe.zadd(self.k("active"), {build_id: time.time()})
            attempts, *_ = pipe.execute()
        return int(attempts)

    def note_callback_job(self, pipe: Any, build_id: str, job_id: str) -> None:
        """Inside the decision's transaction (``finalize(also=...)``): the id of the callback job queued with it."""
        pipe.hset(self.k("build", build_id), "callback_job_id", job_id)

    def finalize(self, build_id: str, status: str, verdict: dict[str, Any], *,
                 also: Callable[[Any], object] | None = None) -> bool:
        """Store the verdict once, with whatever ``also`` writes into the same MULTI/EXEC (the callback job), so
        a decided build always has its callback queued. Returns False if the build was already decided
        (nothing changes)."""
        key = self.k("build", build_id)
        with self.r.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    current = pipe.hget(key, "status")
                    if current is None or current in FINAL:
                        pipe.unwatch()
                        return False
                    tenant = pipe.hget(key, "tenant")
                    pipe.multi()
                    now = time.time()
                    pipe.hset(key, mapping={"status": status, "decided_at": now, "verdict": json.dumps(verdict),
                                            "package": verdict.get("app", {}).get("package") or ""})
                    pipe.zrem(self.k("active"), build_id)
                    pipe.zadd(self.k("undelivered"), {build_id: now})
                    package = verdict.get("app", {}).get("package")
                    if package and tenant:
                        pipe.zadd(self.k("pkg", tenant, package), {build_id: now})
                        if status == "done":
                            entry = json.dumps(history_entry(build_id, verdict, decided_at=now))
                            pipe.rpush(self.k("history", tenant, package), entry)
                    if also is not None:
                        also(pipe)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def builds_for_package(self, tenant: str, package: str, limit: int = 100) -> list[Build]:
        ids = self.r.zrevrange(self.k("pkg", tenant, package), 0, limit - 1)
        return [b for i in ids if (b := self.get_build(i))]

    def history(self, tenant: str, package: str) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.r.lrange(self.k("history", tenant, package), 0, -1)]

    def append_history(self, tenant: str, package: str, build_id: str, verdict: dict[str, Any]) -> None:
        """Record a decided version outside the build flow (``gate scan --history``)."""
        entry = history_entry(build_id, verdict, decided_at=time.time())
        self.r.rpush(self.k("history", tenant, package), json.dumps(entry))

    def delist(self, package: str | None, developer: str | None, notice: str, source: str = "cli") -> dict[str, Any]:
        if not (package or developer):
            raise StoreError("a delisted entry names a package, a developer or both")
        if not notice.strip():
            raise StoreError("a delisted entry needs the notice it comes from (--notice)")
        entry = {"package": package, "developer": developer, "notice": notice.strip(), "source": source,
                 "added_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with self.r.pipeline() as pipe:
            if package:
                pipe.hset(self.k("delisted", "package"), package, json.dumps(entry))
            if developer:
                pipe.hset(self.k("delisted", "developer"), developer, json.dumps(entry))
            pipe.execute()
        return entry

    def undelist(self, package: str | None = None, developer: str | None = None) -> bool:
        removed = 0
        if package:
            removed += self.r.hdel(self.k("delisted", "package"), package)
        if developer:
            removed += self.r.hdel(self.k("delisted", "developer"), developer)
        return bool(removed)

    def delisted_entries(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for kind in ("package", "developer"):
            for raw in self.r.hvals(self.k("delisted", kind)):
                entry = json.loads(raw)
                seen[json.dumps(entry, sort_keys=True)] = entry
        return sorted(seen.values(), key=lambda e: (e.get("package") or "", e.get("developer") or ""))

    def delisted_lookup(self, package: str, developer: str | None) -> dict[str, Any] | None:
        raw = self.r.hget(self.k("delisted", "package"), package)
        if raw is None and developer:
            raw = self.r.hget(self.k("delisted", "developer"), developer)
        return json.loads(raw) if raw else None

    def build_by_page_token(self, token: str) -> Build | None:
        if not token or len(token) > 100:
            return None
        build_id = self.r.get(self.k("vtoken", token))
        return self.get_build(build_id) if build_id else None

    def active_builds(self) -> list[tuple[str, float]]:
        return [(b, float(s)) for b, s in self.r.zrange(self.k("active"), 0, -1, withscores=True)]

    def forget_active(self, build_id: str) -> None:
        """Drop a decided (or vanished) build from the active set the reaper walks."""
        self.r.zrem(self.k("active"), build_id)

    def recent_builds(self, tenant: str, limit: int) -> list[Build]:
        """The tenant's ``limit`` latest builds, newest first."""
        ids: list[str] = self.r.zrevrange(self.k("builds", tenant), 0, limit - 1)
        return [b for i in ids if (b := self.get_build(i))]

    def discard_build(self, build_id: str, tenant: str) -> None:
        """Undo ``create_build`` for a build that could not be queued: nothing of it stays."""
        token = self.r.hget(self.k("build", build_id), "verdict_token")
        with self.r.pipeline() as pipe:
            pipe.delete(self.k("build", build_id))
            pipe.zrem(self.k("active"), build_id)
            pipe.zrem(self.k("builds", tenant), build_id)
            if token:
                pipe.delete(self.k("vtoken", token))
            pipe.execute()

    def record_delivery(self, build_id: str, attempt: dict[str, Any]) -> None:
        with self.r.pipeline() as pipe:
            pipe.rpush(self.k("deliveries", build_id), json.dumps(attempt))
            pipe.ltrim(self.k("deliveries", build_id), -200, -1)
            pipe.zrem(self.k("undelivered"), build_id)
            pipe.execute()

    def forget_undelivered(self, build_id: str) -> None:
        """Stop watching a build's callback (the build is gone)."""
        self.r.zrem(self.k("undelivered"), build_id)

    def undelivered(self, older_than: float) -> list[str]:
        """Decided builds whose callback has had no attempt since before ``older_than`` (a timestamp)."""
        return list(self.r.zrangebyscore(self.k("undelivered"), 0, older_than))

    def deliveries(self, build_id: str) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.r.lrange(self.k("deliveries", build_id), 0, -1)]


class StoreHistory:
    """gate.core.history.History for one tenant, backed by the store."""

    def __init__(self, store: RedisOnlyStore, tenant: str) -> None:
        self.store = store
        self.tenant = tenant

    def versions(self, package: str) -> list[dict[str, Any]]:
        return self.store.history(self.tenant, package)

    def delisted(self, package: str, developer_id: str | None) -> dict[str, Any] | None:
        return self.store.delisted_lookup(package, developer_id)

    def waivers(self, package: str, developer_id: str | None) -> list[dict[str, Any]]:
        return []  # the Redis-only store had no waivers

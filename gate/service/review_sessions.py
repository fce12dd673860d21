"""The review pages' sign-in state in Redis, each key with a TTL: sessions and failed sign-in counters.

A session is a random id in an HttpOnly cookie; Redis keeps only its hash, with the reviewer, role and the
session's CSRF token, and forgets it after REVIEW_SESSION_IDLE_S without use or at sign-out (so a stolen cookie
dies with the session, which a signed client-side cookie would not).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from gate import defaults


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ReviewSessions:
    def __init__(self, r: Any, prefix: str, idle_s: int = defaults.REVIEW_SESSION_IDLE_S) -> None:
        self.r = r
        self.prefix = prefix
        self.idle_s = idle_s

    def _key(self, sid: str) -> str:
        return f"{self.prefix}review:session:{_digest(sid)}"

    def create(self, reviewer: str, role: str) -> tuple[str, dict[str, Any]]:
        sid = secrets.token_urlsafe(32)
        session = {"reviewer": reviewer, "role": role, "csrf": secrets.token_urlsafe(32), "since": time.time()}
        self.r.set(self._key(sid), json.dumps(session), ex=self.idle_s)
        return sid, session

    def get(self, sid: str | None) -> dict[str, Any] | None:
        """The session of ``sid`` (its idle time starts again), or None."""
        if not sid or len(sid) > 100:
            return None
        key = self._key(sid)
        raw = self.r.get(key)
        if raw is None:
            return None
        self.r.expire(key, self.idle_s)
        session: dict[str, Any] = json.loads(raw)
        return session

    def drop(self, sid: str | None) -> None:
        if sid and len(sid) <= 100:
            self.r.delete(self._key(sid))


def same_token(expected: str | None, offered: str | None) -> bool:
    return bool(expected) and bool(offered) and hmac.compare_digest(str(expected).encode(), str(offered).encode())


class SignInLimiter:
    """Failed sign-ins per account name and per client address over a window; a success clears the name's."""

    def __init__(self, r: Any, prefix: str, window_s: int = defaults.REVIEW_LOGIN_WINDOW_S,
                 per_name: int = defaults.REVIEW_LOGIN_FAILURES_PER_NAME,
                 per_address: int = defaults.REVIEW_LOGIN_FAILURES_PER_ADDRESS) -> None:
        self.r = r
        self.prefix = prefix
        self.window_s = window_s
        self.limits = {"name": per_name, "address": per_address}

    def _keys(self, name: str, address: str) -> dict[str, str]:
        return {"name": f"{self.prefix}review:signin:name:{_digest(name.lower())}",
                "address": f"{self.prefix}review:signin:addr:{_digest(address)}"}

    def wait_s(self, name: str, address: str) -> int:
        """Seconds until a sign-in is allowed again (0: now)."""
        wait = 0
        for kind, key in self._keys(name, address).items():
            if int(self.r.get(key) or 0) >= self.limits[kind]:
                wait = max(wait, int(self.r.ttl(key)), 1)
        return wait

    def failed(self, name: str, address: str) -> None:
        keys = list(self._keys(name, address).values())
        with self.r.pipeline() as pipe:
            for key in keys:
                pipe.incr(key)
                pipe.ttl(key)
            replies = pipe.execute()
        for key, ttl in zip(keys, replies[1::2], strict=True):
            if int(ttl) < 0:  # the window runs from the first failure (EXPIRE NX needs Redis 7)
                self.r.expire(key, self.window_s)

    def succeeded(self, name: str, address: str) -> None:
        self.r.delete(self._keys(name, address)["name"])

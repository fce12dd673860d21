"""A tenant (one app store posting uploads), as the Redis store and the relational record both keep it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def token_hash(token: str) -> str:
    """What is kept of a tenant's API token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Tenant:
    name: str
    callback_url: str
    secret: str
    token_hash: str
    allowed_hosts: list[str] = field(default_factory=list)
    policy: str | None = None
    created_at: float = 0.0
    callback_disabled: bool = False
    policy_override: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {"tenant": self.name, "callback_url": self.callback_url, "allowed_hosts": self.allowed_hosts,
                "policy": self.policy, "policy_override": self.policy_override, "created_at": self.created_at,
                "callback_disabled": self.callback_disabled}

"""Standard Webhooks signatures (https://www.standardwebhooks.com/): sign and verify, incrementally.

The signed content is ``{webhook-id}.{webhook-timestamp}.{raw body}``, HMAC-SHA256 with the secret's
bytes (the base64 part of ``whsec_...``), sent as ``v1,<base64>``; several space-separated signatures may
be offered (secret rotation). Verification streams: the body can be fed in chunks while it is written to
disk, so a large upload is never held in memory to be checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from gate.errors import GateError

PREFIX = "whsec_"
TOLERANCE_S = 300


class SignatureError(GateError):
    """Why a request is not authentic; the message is safe to return to the caller."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    body = secret[len(PREFIX):] if secret.startswith(PREFIX) else secret
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret must be whsec_ followed by base64") from None


class Signer:
    """Incremental HMAC over ``id.timestamp.body``."""

    def __init__(self, secret: str, msg_id: str, timestamp: int | str) -> None:
        self._mac = hmac.new(secret_key(secret), f"{msg_id}.{timestamp}.".encode(), hashlib.sha256)

    def update(self, chunk: bytes) -> None:
        self._mac.update(chunk)

    def signature(self) -> str:
        return "v1," + base64.b64encode(self._mac.digest()).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signer = Signer(secret, msg_id, timestamp)
    signer.update(body)
    return signer.signature()


def headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sign(secret, msg_id, ts, body)}


@dataclass(frozen=True)
class Envelope:
    """The three headers, checked for presence and timestamp before the body is read."""

    msg_id: str
    timestamp: int
    signatures: tuple[str, ...]


class HeaderSource(Protocol):
    """Anything with ``get`` by header name: a dict, Flask's request headers."""

    def get(self, key: str, /) -> str | None: ...


def read_headers(headers: HeaderSource | Mapping[str, str], *, now: float | None = None,
                 tolerance_s: int = TOLERANCE_S) -> Envelope:
    """Check the three headers (any case-insensitive mapping, e.g. Flask's) before the body is read."""
    getter = headers.get
    msg_id = (getter("webhook-id") or "").strip()
    raw_ts = (getter("webhook-timestamp") or "").strip()
    raw_sig = (getter("webhook-signature") or "").strip()
    if not msg_id or not raw_ts or not raw_sig:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    if len(msg_id) > 256:
        raise SignatureError("webhook-id is too long")
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a unix time in seconds") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise SignatureError(f"webhook-timestamp is more than {tolerance_s // 60} minutes from the gate's clock")
    offered = tuple(part.split(",", 1)[1] for part in raw_sig.split() if part.startswith("v1,"))
    if not offered:
        raise SignatureError("webhook-signature holds no v1 signature")
    return Envelope(msg_id=msg_id, timestamp=timestamp, signatures=offered)


def matches(envelope: Envelope, computed: str) -> bool:
    """Constant-time comparison against every offered signature."""
    expected = computed.split(",", 1)[1].encode()
    found = False
    for candidate in envelope.signatures:
        found |= hmac.compare_digest(candidate.encode(), expected)
    return found

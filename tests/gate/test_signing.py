"""Standard Webhooks signing: round trips, tolerance, rotation, tampering."""

from __future__ import annotations

import time

import pytest

from gate.service import webhook_signing

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _verify(headers: dict[str, str], body: bytes, secret: str = SECRET, now: float | None = None) -> bool:
    env = webhook_signing.read_headers(headers, now=now)
    signer = webhook_signing.Signer(secret, env.msg_id, env.timestamp)
    signer.update(body)
    return webhook_signing.matches(env, signer.signature())


def test_known_vector_from_the_standard_webhooks_spec() -> None:
    # The reference example of the Standard Webhooks specification.
    sig = webhook_signing.sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_round_trip_and_chunked_body() -> None:
    body = b"x" * 200_000
    headers = webhook_signing.headers(SECRET, "msg_1", body)
    env = webhook_signing.read_headers(headers)
    signer = webhook_signing.Signer(SECRET, env.msg_id, env.timestamp)
    for i in range(0, len(body), 4096):
        signer.update(body[i:i + 4096])
    assert webhook_signing.matches(env, signer.signature())


def test_tampered_body_and_other_secret_fail() -> None:
    headers = webhook_signing.headers(SECRET, "msg_1", b"original")
    assert not _verify(headers, b"originaL")
    assert not _verify(headers, b"original", secret=webhook_signing.new_secret())


def test_one_of_several_offered_signatures_may_match() -> None:
    body = b"{}"
    headers = webhook_signing.headers(SECRET, "msg_1", body)
    headers["webhook-signature"] = "v1,AAAA " + headers["webhook-signature"] + " v2,zzz"
    assert _verify(headers, body)


@pytest.mark.parametrize("offset", [-301, 301, -10_000])
def test_stale_or_future_timestamps_are_refused(offset: int) -> None:
    headers = webhook_signing.headers(SECRET, "msg_1", b"{}", timestamp=int(time.time()) + offset)
    with pytest.raises(webhook_signing.SignatureError, match="minutes"):
        webhook_signing.read_headers(headers)


@pytest.mark.parametrize(
    ("headers", "words"),
    [({}, "missing"), ({"webhook-id": "a", "webhook-timestamp": "soon", "webhook-signature": "v1,x"}, "unix time"),
     ({"webhook-id": "a", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v0,x"}, "no v1")],
)
def test_malformed_headers(headers: dict[str, str], words: str) -> None:
    with pytest.raises(webhook_signing.SignatureError, match=words):
        webhook_signing.read_headers(headers)


def test_new_secrets_are_whsec_with_32_random_bytes() -> None:
    a, b = webhook_signing.new_secret(), webhook_signing.new_secret()
    assert a.startswith("whsec_") and a != b
    assert len(webhook_signing.secret_key(a)) == 32

"""Fetch a build's APK from the store's artifact URL: allowed hosts only, streamed to disk, size-capped,
sha256-checked.

A host is allowed when it is on the tenant's list (``host`` or ``host:port``). Redirects are followed only
to allowed hosts. A name that resolves to a loopback, private or link-local address is refused unless the
allow-list names that address itself (so a DNS answer cannot point the gate at internal services); the
address actually connected to is checked again before any byte of the body is read, so a second, different
DNS answer (rebinding) is caught too. The whole download has one deadline: a server that trickles its body
is cut off when it passes, however steadily it sends.

A URL is read by one parser only in effect: one that urllib3 (which connects) would read differently from
``urlsplit`` (which the allow-list sees) is refused, and so is any URL with a backslash, user information
(``user@``), whitespace or control characters. Every connection is checked right after it is made and before
a byte is sent: it must have reached the allowed literal address itself, or, for a host name, no internal
address. A refused target is never described (no status, no size: nothing it answered is read).
"""

from __future__ import annotations

import contextvars
import hashlib
import ipaddress
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import parse_url

from gate.errors import GateError
from gate.service.deadline import SocketDeadline

MAX_REDIRECTS = 3


class ArtifactError(GateError):
    """The artifact cannot be used; ``permanent`` is False for failures worth retrying (network)."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


def _host_port(url: str) -> tuple[str, int | None, str]:
    if "\\" in url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ArtifactError("artifact URL refused: it contains a backslash, whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
        other = parse_url(url)
    except ValueError:
        raise ArtifactError("artifact URL refused: it cannot be parsed") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArtifactError("artifact URL must be http(s) with a host")
    if "@" in parts.netloc or parts.username is not None or other.auth:
        raise ArtifactError("artifact URL refused: it carries user information (user@host)")
    host = parts.hostname.lower()
    if (other.host or "").lower().strip("[]") != host or other.port != port or other.scheme != parts.scheme:
        raise ArtifactError("artifact URL refused: its host reads differently to different URL parsers")
    return host, port, parts.scheme


def host_allowed(url: str, allowed: list[str]) -> bool:
    try:
        host, port, _ = _host_port(url)
    except ArtifactError:
        return False
    entries = {a.lower() for a in allowed}
    return host in entries or (port is not None and f"{host}:{port}" in entries)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return True


def _internal(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback or addr.is_private or addr.is_link_local or addr.is_reserved or addr.is_multicast \
        or addr.is_unspecified


def _check_address(host: str, port: int | None, scheme: str) -> None:
    """Refuse names that resolve to internal addresses (the allow-list naming the address itself is fine)."""
    if _is_literal(host):
        return
    try:
        infos = socket.getaddrinfo(host, port or (443 if scheme == "https" else 80), proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ArtifactError(f"cannot resolve artifact host {host}: {exc}", permanent=False) from None
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if _internal(addr):
            raise ArtifactError(f"artifact host {host} resolves to the internal address {addr}; refused")


# The host the allow-list accepted for the request being made (set around each GET in _download).
_expected_host: contextvars.ContextVar[str | None] = contextvars.ContextVar("_expected_host", default=None)


def _check_connected(sock: Any) -> None:
    """Right after connecting, before a byte is sent: the peer must be the allowed literal address itself, or
    (for a host name) not an internal address."""
    host = _expected_host.get()
    if host is None:
        raise ArtifactError("artifact connection without a checked host; refused")
    try:
        addr = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
    except (OSError, ValueError):
        raise ArtifactError(f"cannot tell which address artifact host {host} connected to; refused") from None
    if _is_literal(host) and host != "localhost":
        if addr != ipaddress.ip_address(host.strip("[]")):
            raise ArtifactError(f"artifact connection for {host} reached another address; refused")
    elif _internal(addr):
        raise ArtifactError(f"artifact host {host} connected to the internal address {addr}; refused")


class _CheckedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        try:
            _check_connected(self.sock)
        except ArtifactError:
            self.close()
            raise


class _CheckedHTTPSConnection(_CheckedHTTPConnection, HTTPSConnection):
    """The same check; ``super().connect()`` above is HTTPSConnection's here (connect, then the TLS handshake)."""


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


def _checked_adapter() -> HTTPAdapter:
    adapter = HTTPAdapter()
    adapter.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}
    return adapter


def _socket_of(resp: requests.Response) -> socket.socket | None:
    """The response's socket: the pooled connection's, or (when the server closes after this response and
    http.client has let go of the connection) the one under the response's own file."""
    connection = getattr(resp.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if not isinstance(sock, socket.socket):
        fileobj = getattr(getattr(getattr(resp.raw, "_fp", None), "fp", None), "raw", None)
        sock = getattr(fileobj, "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _check_peer(resp: requests.Response, host: str) -> None:
    """The address the connection really went to (a rebinding DNS may answer differently the second time)."""
    if _is_literal(host):
        return
    sock = _socket_of(resp)
    if sock is None:
        raise ArtifactError(f"cannot tell which address artifact host {host} connected to; refused")
    addr = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
    if _internal(addr):
        raise ArtifactError(f"artifact host {host} connected to the internal address {addr}; refused")


def _refusal(exc: BaseException) -> ArtifactError | None:
    """The connection check's refusal, wherever requests and urllib3 wrapped it."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ArtifactError):
            return current
        stack += [current.__cause__, current.__context__, *[a for a in current.args if isinstance(a, BaseException)]]
        stack.append(getattr(current, "reason", None))
    return None


def fetch(url: str, dest: Path, *, allowed: list[str], sha256: str, size: int | None, max_bytes: int,
          timeout_s: float) -> int:
    """Download ``url`` to ``dest`` within ``timeout_s`` in all; returns the byte count.

    Raises ArtifactError, never leaves a partial file.
    """
    if size is not None and size > max_bytes:
        raise ArtifactError(f"artifact declares {size:,} bytes; the limit is {max_bytes:,}")
    current = url
    session = requests.Session()
    session.trust_env = False  # never route through a proxy from the environment
    session.mount("http://", _checked_adapter())
    session.mount("https://", _checked_adapter())
    tmp = dest.with_suffix(".part")
    deadline = SocketDeadline(timeout_s)
    try:
        return _download(session, current, dest, tmp, deadline, allowed=allowed, sha256=sha256, size=size,
                         max_bytes=max_bytes)
    except (ArtifactError, requests.RequestException, OSError) as exc:
        # whatever a cut-off connection surfaced as (a short body, a broken read), the cause is the deadline
        if deadline.expired:
            raise ArtifactError(f"artifact download took longer than {timeout_s:g} s; cut off",
                                permanent=False) from None
        if isinstance(exc, ArtifactError):
            raise
        raise ArtifactError(f"artifact download broke off: {type(exc).__name__}", permanent=False) from None
    finally:
        deadline.cancel()
        session.close()
        if tmp.exists():
            tmp.unlink()


def _download(session: requests.Session, current: str, dest: Path, tmp: Path, deadline: SocketDeadline, *,
              allowed: list[str], sha256: str, size: int | None, max_bytes: int) -> int:
    for _ in range(MAX_REDIRECTS + 1):
        if not host_allowed(current, allowed):
            raise ArtifactError(f"artifact host of {current} is not on this store's allowed hosts")
        host, port, scheme = _host_port(current)
        _check_address(host, port, scheme)
        token = _expected_host.set(host)
        try:
            resp = session.get(current, stream=True, allow_redirects=False,
                               timeout=(min(5.0, deadline.left()), deadline.left()))
        except requests.RequestException as exc:
            refused = _refusal(exc)
            if refused is not None:
                raise refused from None
            raise ArtifactError(f"cannot download the artifact: {type(exc).__name__}", permanent=False) from None
        finally:
            _expected_host.reset(token)
        deadline.watch(_socket_of(resp))
        try:
            _check_peer(resp, host)
        except ArtifactError:
            resp.close()
            raise
        if resp.is_redirect:
            current = urljoin(current, resp.headers.get("location", ""))
            resp.close()
            continue
        break
    else:
        raise ArtifactError("artifact URL redirects too many times")
    with resp:
        if resp.status_code != 200:
            raise ArtifactError(f"artifact download answered HTTP {resp.status_code}",
                                permanent=resp.status_code < 500)
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise ArtifactError(f"artifact is {int(declared):,} bytes; the limit is {max_bytes:,}")
        digest = hashlib.sha256()
        total = 0
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as out:
            try:
                for chunk in resp.iter_content(1 << 16):
                    total += len(chunk)
                    if total > max_bytes:
                        raise ArtifactError(f"artifact is larger than the limit of {max_bytes:,} bytes")
                    digest.update(chunk)
                    out.write(chunk)
            except requests.RequestException as exc:
                raise ArtifactError(f"artifact download broke off: {type(exc).__name__}",
                                    permanent=False) from None
    if size is not None and total != size:
        raise ArtifactError(f"artifact is {total:,} bytes, not the {size:,} the store declared")
    if digest.hexdigest() != sha256.lower():
        raise ArtifactError("artifact's sha256 does not match the one the store declared")
    os.replace(tmp, dest)
    return total

"""The results of APK signature verification (gate.apk.apksig), as plain data with no cryptography imports."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SignerCert:
    """One X.509 signer certificate, as found in the APK."""

    sha256: str  # lowercase hex SHA-256 of the DER certificate
    subject: str  # RFC 4514, e.g. "CN=Android Debug,O=Android,C=US"
    issuer: str
    der: bytes = field(repr=False)

    @property
    def is_debug(self) -> bool:
        """True for the Android SDK's auto-generated debug certificate (CN=Android Debug)."""
        return "CN=Android Debug" in _rfc4514_components(self.subject)


@dataclass(frozen=True)
class SchemeResult:
    """Outcome of one signature scheme that is present in the APK."""

    scheme: str  # "v1" | "v2" | "v3" | "v3.1"
    verified: bool
    problems: tuple[str, ...]
    certificates: tuple[SignerCert, ...]  # signing certificate of each signer
    notes: tuple[str, ...] = ()  # informational findings that do not fail verification
    sdk_ranges: tuple[tuple[int, int], ...] = ()  # v3/v3.1: (minSdk, maxSdk) of each signer
    lineage: tuple[SignerCert, ...] = ()  # v3/v3.1: proof-of-rotation certificates, oldest first


_SCHEME_PRECEDENCE = ("v3.1", "v3", "v2", "v1")


@dataclass(frozen=True)
class SignatureReport:
    """Signature verification outcome for one APK file."""

    schemes: tuple[SchemeResult, ...]  # only schemes that are present in the APK
    problems: tuple[str, ...]  # problems not tied to one scheme

    @property
    def signed(self) -> bool:
        """Whether any signature scheme is present."""
        return bool(self.schemes)

    @property
    def verified(self) -> bool:
        """Signed, and every present scheme verified."""
        return self.signed and all(result.verified for result in self.schemes)

    @property
    def certificates(self) -> tuple[SignerCert, ...]:
        """Signer certificates of the newest verified scheme, else of the newest present one."""
        for want_verified in (True, False):
            for name in _SCHEME_PRECEDENCE:
                result = self.scheme(name)
                if result is not None and (result.verified or not want_verified):
                    return result.certificates
        return ()

    def scheme(self, name: str) -> SchemeResult | None:
        """The result of scheme ``name`` ("v1", "v2", "v3", "v3.1"), or None if absent."""
        return next((result for result in self.schemes if result.scheme == name), None)


def _rfc4514_components(text: str) -> set[str]:
    """The attribute=value components of an RFC 4514 string, split at unescaped , and +."""
    components: set[str] = set()
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char in ",+":
            components.add("".join(current))
            current = []
        else:
            current.append(char)
    components.add("".join(current))
    return components

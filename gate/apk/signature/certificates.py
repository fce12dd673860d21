"""X.509 signer certificates: parsing (tolerant of what cryptography rejects), RFC 4514 names, public keys."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

from gate.apk.archive import ZipFormatError
from gate.apk.signature_report import SignerCert


@dataclass(frozen=True)
class Cert:
    public: SignerCert
    spki: bytes  # DER SubjectPublicKeyInfo
    issuer: asn1_x509.Name
    serial: int
    signing_allowed: bool  # keyUsage (if any) permits digitalSignature or nonRepudiation


def parse_cert(der: bytes) -> Cert:
    """Parse a DER certificate, tolerating encodings that cryptography rejects."""
    try:
        cert = asn1_x509.Certificate.load(der)
        tbs = cert["tbs_certificate"]
        spki = tbs["subject_public_key_info"].dump()
        issuer = tbs["issuer"]
        serial = int(tbs["serial_number"].native)
        key_usage = cert.key_usage_value
        subject = tbs["subject"]
    except Exception as exc:  # asn1crypto parses lazily and raises many types
        raise ZipFormatError(f"malformed X.509 certificate ({type(exc).__name__})") from None
    allowed = key_usage is None or bool({"digital_signature", "non_repudiation"} & set(key_usage.native))
    # RFC 4514, as cryptography's Name.rfc4514_string() writes it (tested against it), rendered from the
    # asn1crypto names: cryptography's X.509 module would cost the signature child ~20 ms to import, and
    # it rejects some certificates Android accepts.
    subject_text, issuer_text = render_name(subject), render_name(issuer)
    public = SignerCert(hashlib.sha256(der).hexdigest(), subject_text, issuer_text, der)
    return Cert(public, spki, issuer, serial, allowed)


_SHORT_ATTR_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}


def render_name(name: asn1_x509.Name) -> str:
    """RFC 4514 rendering in the style of cryptography's Name.rfc4514_string()."""
    try:
        rdns = []
        for rdn in reversed(list(name.chosen)):
            parts = []
            for type_and_value in rdn:
                oid = type_and_value["type"].dotted
                parts.append(f"{_SHORT_ATTR_NAMES.get(oid, oid)}={_escape_rfc4514(_name_value(type_and_value))}")
            rdns.append("+".join(parts))
        return ",".join(rdns)
    except Exception:  # a name we cannot render is reported as unknown
        return "<unparseable name>"


def _name_value(type_and_value: asn1_x509.NameTypeAndValue) -> str | bytes:
    """An attribute's value decoded by its own tag, as cryptography does (asn1crypto would insist on the type
    the standard gives the attribute, and fail on, say, a domain component written as a BMPString)."""
    value = asn1_core.load(type_and_value.dump())[1]  # a plain SEQUENCE: its items typed by their tags
    if isinstance(value, asn1_core.BitString):
        return bytes(value.contents or b"")  # cryptography keeps the unused-bits octet
    if isinstance(value, asn1_core.BMPString):
        return bytes(value.contents or b"").decode("utf-16-be")
    if isinstance(value, asn1_core.UniversalString):
        return bytes(value.contents or b"").decode("utf-32-be")
    raw = bytes(value.contents or b"")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:  # cryptography refuses such a name; show its characters rather than nothing
        return raw.decode("latin-1")


def _escape_rfc4514(value: str | bytes) -> str:
    """One attribute value, escaped as cryptography escapes it (RFC 4514 section 2.4)."""
    if not value:
        return ""
    if isinstance(value, bytes):  # a BIT STRING value (x500UniqueIdentifier): '#' and its octets in hex
        return "#" + value.hex()
    for char in '\\",+;<>':
        value = value.replace(char, "\\" + char)
    value = value.replace("\0", "\\00")
    if value[0] == "#" or (value[0] == " " and len(value) > 1):
        value = "\\" + value
    if value[-1] == " ":
        value = value[:-1] + "\\ "
    return value


_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "md5": hashes.MD5,
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def load_public_key(spki: bytes) -> object:
    try:
        return serialization.load_der_public_key(spki)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ZipFormatError(f"unsupported or malformed public key ({exc})") from None


def signature_error(
    public_key: object, key_type: str, hash_name: str, pss_salt: int | None, signature: bytes, data: bytes
) -> str | None:
    """None if ``signature`` over ``data`` verifies, else why not."""
    digest = _HASHES[hash_name]()
    try:
        if key_type == "rsa" and isinstance(public_key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = (
                padding.PSS(padding.MGF1(digest), pss_salt) if pss_salt is not None else padding.PKCS1v15()
            )
            public_key.verify(signature, data, pad, digest)
        elif key_type == "ec" and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(digest))
        elif key_type == "dsa" and isinstance(public_key, dsa.DSAPublicKey):
            public_key.verify(signature, data, digest)
        else:
            return f"public key type does not match the {key_type.upper()} signature algorithm"
    except InvalidSignature:
        return "signature does not verify"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return f"signature cannot be checked ({exc})"
    return None


def same_public_key(spki_a: bytes, spki_b: bytes) -> bool:
    """Whether two SubjectPublicKeyInfo encodings denote the same key."""
    if spki_a == spki_b:
        return True
    try:
        encoding, fmt = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        key_a = serialization.load_der_public_key(spki_a).public_bytes(encoding, fmt)
        return key_a == serialization.load_der_public_key(spki_b).public_bytes(encoding, fmt)
    except (ValueError, UnsupportedAlgorithm):
        return False

"""Pure-Python verification of Android APK signatures (no Java).

Covers APK Signature Scheme v1 (JAR signing), v2, v3 and the v3.1 block, following the
semantics of AOSP's ``apksig`` (the library behind ``apksigner verify``), with three
deliberate differences that come from not knowing the app's ``minSdkVersion``:

* Every present scheme is verified on its own. ``apksigner`` skips v1 when a v2/v3
  signature exists and minSdk >= 24, and skips v2 when v3 exists and minSdk >= 28.
* No per-API-level algorithm support checks (e.g. "SHA-256withRSA in a JAR signature is
  not supported on API 15-17"): signatures are judged cryptographically, digests are taken
  with the strongest algorithm named (as Android 4.3+ does).
* The v3 SDK-range coverage check needs minSdk; the ranges are reported instead.

Hostile input never raises: every structural problem becomes a human-readable entry in
``problems``. Every read is bounds-checked against the file size, every loop is bounded by
the bytes it consumes, and file contents are streamed in 1 MiB pieces.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import os
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

__all__ = ["SchemeResult", "SignatureReport", "SignerCert", "verify_apk"]

# The result types live in a module of their own, free of cryptography, so that a process that only reads
# reports (the gate's parent process, unpickling its verifier child's answer) does not import it.
from gate.apk.signature_report import (  # noqa: E402
    SchemeResult,
    SignatureReport,
    SignerCert,
)

# --------------------------------------------------------------------------------------
# Public result types
# --------------------------------------------------------------------------------------


def verify_apk(path: str | os.PathLike[str], inflated: Mapping[str, bytes] | None = None) -> SignatureReport:
    """Verify every signature scheme present in the APK at ``path``. Never raises.

    ``inflated`` may give entries the caller has already inflated (name → content, as read with a CRC
    check), so v1 digests of large entries such as the dex files are not inflated a second time.
    """
    try:
        with open(path, "rb") as handle:
            return _verify(_Source(handle, os.fstat(handle.fileno()).st_size, inflated))
    except OSError as exc:
        return SignatureReport((), (f"cannot read APK: {exc.strerror or exc}",))
    except Exception as exc:  # last line of defence: hostile input must not raise
        return SignatureReport((), (f"internal error while verifying signatures: {type(exc).__name__}",))


# --------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------

_CHUNK = 1024 * 1024  # v2/v3 content digest chunk size, also the streaming read size
_MAX_PROBLEMS = 50  # per scheme; the rest are summarised in one line
_MAX_SIGNERS = 10  # as apksig's Constants.MAX_APK_SIGNERS
_MAX_SIGNATURES = 10  # per signer: one per known algorithm; more is a denial-of-service attempt
_MAX_CERTIFICATES = 100  # per signature block or lineage
_MAX_META_FILE = 64 * 1024 * 1024  # MANIFEST.MF, .SF and signature block files
_INFLATE_BUDGET_FLOOR = 256 * 1024 * 1024  # total bytes v1 may inflate: max(floor, ratio * size)
_INFLATE_BUDGET_RATIO = 64

_EOCD_MAGIC = b"PK\x05\x06"
_EOCD_SIZE = 22
_CD_MAGIC = b"PK\x01\x02"
_CD_RECORD_SIZE = 46
_LFH_MAGIC = b"PK\x03\x04"
_ZIP64_LOCATOR_MAGIC = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_LFH_SIZE = 30

_SIG_BLOCK_MAGIC = b"APK Sig Block 42"
_SIG_BLOCK_FOOTER = 24  # uint64 size + 16-byte magic
_BLOCK_IDS = {"v2": 0x7109871A, "v3": 0xF05368C0, "v3.1": 0x1B93AD61}

_V2_STRIPPING_PROTECTION_ATTR = 0xBEEFF00D
_V3_LINEAGE_ATTR = 0x3BA06F8C
_V3_ROTATION_MIN_SDK_ATTR = 0x559F8B02
_V3_DEV_RELEASE_ATTR = 0xC2A6B3BA

_SIG_FILE_SUFFIXES = (".RSA", ".DSA", ".EC")
_MANIFEST_NAME = "META-INF/MANIFEST.MF"


class _Malformed(Exception):
    """A structural problem in the input; its message becomes a report problem."""


# --------------------------------------------------------------------------------------
# Bounded file access
# --------------------------------------------------------------------------------------


class _Source:
    """Random access to the APK file; every read is checked against the file size."""

    def __init__(self, handle: BinaryIO, size: int, inflated: Mapping[str, bytes] | None = None) -> None:
        self._handle = handle
        self.size = size
        self.inflated = inflated or {}

    def read(self, offset: int, length: int, what: str) -> bytes:
        """Exactly ``length`` bytes at ``offset``, or _Malformed if outside the file."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise _Malformed(f"{what} lies outside the file (offset {offset}, length {length})")
        self._handle.seek(offset)
        data = self._handle.read(length)
        if len(data) != length:
            raise _Malformed(f"{what}: file shorter than expected")
        return data

    def chunks(self, offset: int, length: int, what: str) -> Iterator[bytes]:
        """The range [offset, offset + length) in pieces of at most 1 MiB."""
        if offset < 0 or length < 0 or offset + length > self.size:
            raise _Malformed(f"{what} lies outside the file (offset {offset}, length {length})")
        end = offset + length
        while offset < end:
            piece = min(_CHUNK, end - offset)
            yield self.read(offset, piece, what)
            offset += piece


class _Reader:
    """Cursor over an in-memory value with bounds-checked little-endian reads."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = data
        self._pos = 0
        self.what = what

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, length: int) -> bytes:
        if length < 0 or length > self.remaining:
            raise _Malformed(f"{self.what}: truncated (needs {length} bytes, {self.remaining} left)")
        value = self._data[self._pos : self._pos + length]
        self._pos += length
        return value

    def u32(self) -> int:
        value: int = struct.unpack("<I", self.take(4))[0]
        return value

    def i32(self) -> int:
        value: int = struct.unpack("<i", self.take(4))[0]
        return value

    def prefixed(self) -> bytes:
        """A uint32-length-prefixed byte string."""
        return self.take(self.u32())

    def sub(self, what: str) -> _Reader:
        """A uint32-length-prefixed nested structure."""
        return _Reader(self.prefixed(), f"{self.what}: {what}")

    def items(self, what: str) -> Iterator[_Reader]:
        """Consecutive length-prefixed items until the end (each costs >= 4 bytes)."""
        index = 0
        while self.remaining:
            index += 1
            yield self.sub(f"{what} #{index}")


# --------------------------------------------------------------------------------------
# ZIP structure
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ZipSections:
    cd_offset: int
    cd_size: int
    cd_count: int
    eocd_offset: int
    eocd: bytes  # the EOCD record through the end of the file (comment included)


@dataclass(frozen=True)
class _ZipEntry:
    name: str
    raw_name: bytes
    method: int
    compressed_size: int
    uncompressed_size: int
    local_offset: int


def _find_zip_sections(src: _Source) -> _ZipSections:
    """Locate the End of Central Directory record (searching back over a comment)."""
    tail_length = min(src.size, _EOCD_SIZE + 0xFFFF)
    if tail_length < _EOCD_SIZE:
        raise _Malformed("not a zip file: too short")
    tail_offset = src.size - tail_length
    tail = src.read(tail_offset, tail_length, "end of file")
    magic_length = len(_EOCD_MAGIC)
    position = tail.rfind(_EOCD_MAGIC, 0, tail_length - _EOCD_SIZE + magic_length)
    while position >= 0:
        comment_length = struct.unpack_from("<H", tail, position + 20)[0]
        if position + _EOCD_SIZE + comment_length == tail_length:
            break
        position = tail.rfind(_EOCD_MAGIC, 0, position + magic_length - 1)
    if position < 0:
        raise _Malformed("not a zip file: no End of Central Directory record")
    eocd = tail[position:]
    entries_total, cd_size, cd_offset = struct.unpack_from("<HII", eocd, 10)
    eocd_offset = tail_offset + position
    if (
        eocd_offset >= _ZIP64_LOCATOR_SIZE
        and src.read(eocd_offset - _ZIP64_LOCATOR_SIZE, 4, "ZIP64 locator") == _ZIP64_LOCATOR_MAGIC
    ):
        raise _Malformed("ZIP64 archives are not supported")
    if cd_offset + cd_size > eocd_offset:
        raise _Malformed("malformed zip: central directory overlaps the End of Central Directory record")
    return _ZipSections(cd_offset, cd_size, entries_total, eocd_offset, eocd)


def _parse_central_directory(src: _Source, zs: _ZipSections) -> list[_ZipEntry]:
    """All central directory records (the count is bounded by the directory's size)."""
    reader = _Reader(src.read(zs.cd_offset, zs.cd_size, "central directory"), "central directory")
    entries = []
    for index in range(zs.cd_count):
        header = reader.take(_CD_RECORD_SIZE)
        if header[:4] != _CD_MAGIC:
            raise _Malformed(f"malformed zip: central directory record #{index + 1} has a bad signature")
        method = struct.unpack_from("<H", header, 10)[0]
        compressed, uncompressed, name_len, extra_len, comment_len = struct.unpack_from("<IIHHH", header, 20)
        local_offset = struct.unpack_from("<I", header, 42)[0]
        raw_name = reader.take(name_len)
        reader.take(extra_len + comment_len)
        name = raw_name.decode("utf-8", errors="replace")
        entries.append(_ZipEntry(name, raw_name, method, compressed, uncompressed, local_offset))
    return entries


def _entry_data_range(src: _Source, entry: _ZipEntry, cd_offset: int) -> tuple[int, int]:
    """(offset, length) of an entry's stored bytes, checked against its local header."""
    header = src.read(entry.local_offset, _LFH_SIZE, f"local header of {entry.name}")
    if header[:4] != _LFH_MAGIC:
        raise _Malformed(f"malformed zip: bad local header for {entry.name}")
    name_len, extra_len = struct.unpack_from("<HH", header, 26)
    if src.read(entry.local_offset + _LFH_SIZE, name_len, f"local header of {entry.name}") != entry.raw_name:
        raise _Malformed(f"malformed zip: local header name differs from central directory for {entry.name}")
    start = entry.local_offset + _LFH_SIZE + name_len + extra_len
    length = entry.compressed_size if entry.method != 0 else entry.uncompressed_size
    if start + length > cd_offset:
        raise _Malformed(f"malformed zip: data of {entry.name} overlaps the central directory")
    return start, length


def _entry_chunks(src: _Source, entry: _ZipEntry, cd_offset: int) -> Iterator[bytes]:
    """The uncompressed content of an entry, streamed; sizes are checked as declared."""
    start, length = _entry_data_range(src, entry, cd_offset)
    raw = src.chunks(start, length, f"data of {entry.name}")
    if entry.method == 0:
        yield from raw
    elif entry.method == 8:
        yield from _inflate(raw, entry.uncompressed_size, entry.name)
    else:
        raise _Malformed(f"{entry.name}: unsupported compression method {entry.method}")


def _inflate(raw: Iterable[bytes], expected_size: int, name: str) -> Iterator[bytes]:
    """Raw-deflate decompression that never yields more than ``expected_size`` bytes."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        for data in raw:
            while True:
                out = inflater.decompress(data, _CHUNK)
                data = inflater.unconsumed_tail
                produced += len(out)
                if produced > expected_size:
                    raise _Malformed(f"{name}: inflates to more than its declared {expected_size} bytes")
                if out:
                    yield out
                if inflater.eof or (not data and len(out) < _CHUNK):
                    break
            if inflater.eof:
                break
    except zlib.error as exc:
        raise _Malformed(f"{name}: corrupt compressed data ({exc})") from None
    if not inflater.eof or produced != expected_size:
        raise _Malformed(f"{name}: compressed data is truncated or does not match its declared size")


def _read_entry(src: _Source, entry: _ZipEntry, cd_offset: int) -> bytes:
    """The whole uncompressed content of a small (metadata) entry."""
    if entry.uncompressed_size > min(_MAX_META_FILE, _INFLATE_BUDGET_RATIO * src.size + _CHUNK):
        raise _Malformed(f"{entry.name} is implausibly large ({entry.uncompressed_size} bytes)")
    return b"".join(_entry_chunks(src, entry, cd_offset))


# --------------------------------------------------------------------------------------
# Certificates and signatures
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cert:
    public: SignerCert
    spki: bytes  # DER SubjectPublicKeyInfo
    issuer: asn1_x509.Name
    serial: int
    signing_allowed: bool  # keyUsage (if any) permits digitalSignature or nonRepudiation


def _parse_cert(der: bytes) -> _Cert:
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
        raise _Malformed(f"malformed X.509 certificate ({type(exc).__name__})") from None
    allowed = key_usage is None or bool({"digital_signature", "non_repudiation"} & set(key_usage.native))
    # RFC 4514, as cryptography's Name.rfc4514_string() writes it (tested against it), rendered from the
    # asn1crypto names: cryptography's X.509 module would cost the signature child ~20 ms to import, and
    # it rejects some certificates Android accepts.
    subject_text, issuer_text = _render_name(subject), _render_name(issuer)
    public = SignerCert(hashlib.sha256(der).hexdigest(), subject_text, issuer_text, der)
    return _Cert(public, spki, issuer, serial, allowed)


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


def _render_name(name: asn1_x509.Name) -> str:
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


def _load_public_key(spki: bytes) -> object:
    try:
        return serialization.load_der_public_key(spki)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise _Malformed(f"unsupported or malformed public key ({exc})") from None


def _signature_error(
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


def _same_public_key(spki_a: bytes, spki_b: bytes) -> bool:
    """Whether two SubjectPublicKeyInfo encodings denote the same key."""
    if spki_a == spki_b:
        return True
    try:
        encoding, fmt = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        key_a = serialization.load_der_public_key(spki_a).public_bytes(encoding, fmt)
        return key_a == serialization.load_der_public_key(spki_b).public_bytes(encoding, fmt)
    except (ValueError, UnsupportedAlgorithm):
        return False


# --------------------------------------------------------------------------------------
# Problem collection
# --------------------------------------------------------------------------------------


class _Findings:
    """Problems and notes of one scheme, with the problem list capped for readability."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []
        self._dropped = 0

    def problem(self, text: str) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self._dropped += 1

    def note(self, text: str) -> None:
        if len(self.notes) < _MAX_PROBLEMS:
            self.notes.append(text)

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def result(
        self,
        scheme: str,
        certificates: Iterable[SignerCert],
        sdk_ranges: tuple[tuple[int, int], ...] = (),
        lineage: tuple[SignerCert, ...] = (),
    ) -> SchemeResult:
        problems = list(self.problems)
        if self._dropped:
            problems.append(f"... and {self._dropped} more problems")
        return SchemeResult(
            scheme, not problems, tuple(problems), tuple(certificates), tuple(self.notes), sdk_ranges, lineage
        )


# --------------------------------------------------------------------------------------
# APK Signing Block (v2, v3, v3.1)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _SigningBlock:
    offset: int  # file offset of the block (its leading size field)
    values: dict[int, bytes]  # scheme block ID -> value, for the IDs we verify


def _find_signing_block(src: _Source, zs: _ZipSections, problems: list[str]) -> _SigningBlock | None:
    """The APK Signing Block just before the central directory, or None if there is none.

    A malformed block is reported in ``problems`` and treated as absent, as Android does;
    ID-value pairs read before a malformed pair are kept.
    """
    if zs.cd_offset < _SIG_BLOCK_FOOTER + 8:
        return None
    footer = src.read(zs.cd_offset - _SIG_BLOCK_FOOTER, _SIG_BLOCK_FOOTER, "APK Signing Block footer")
    if footer[8:] != _SIG_BLOCK_MAGIC:
        return None
    size = struct.unpack_from("<Q", footer)[0]
    offset = zs.cd_offset - size - 8
    if size < _SIG_BLOCK_FOOTER or offset < 0:
        problems.append(f"APK Signing Block size {size} is out of range")
        return None
    if struct.unpack("<Q", src.read(offset, 8, "APK Signing Block header"))[0] != size:
        problems.append("APK Signing Block sizes in header and footer do not match")
        return None
    wanted = set(_BLOCK_IDS.values())
    values: dict[int, bytes] = {}
    position, end, index = offset + 8, zs.cd_offset - _SIG_BLOCK_FOOTER, 0
    while position < end:
        index += 1
        if end - position < 12:
            problems.append(f"APK Signing Block entry #{index} is truncated")
            break
        length, block_id = struct.unpack("<QI", src.read(position, 12, "APK Signing Block entry"))
        if length < 4 or length > end - position - 8:
            problems.append(f"APK Signing Block entry #{index} has out-of-range size {length}")
            break
        if block_id in wanted and block_id not in values:
            values[block_id] = src.read(position + 12, length - 4, "APK Signing Block entry")
        position += 8 + length
    return _SigningBlock(offset, values)


@dataclass(frozen=True)
class _SigAlg:
    name: str
    key_type: str  # "rsa" | "ec" | "dsa"
    hash_name: str
    pss_salt: int | None
    content_digest: str  # "sha256" | "sha512" | "verity"


_SIG_ALGS = {
    0x0101: _SigAlg("RSASSA-PSS with SHA2-256", "rsa", "sha256", 32, "sha256"),
    0x0102: _SigAlg("RSASSA-PSS with SHA2-512", "rsa", "sha512", 64, "sha512"),
    0x0103: _SigAlg("RSASSA-PKCS1-v1_5 with SHA2-256", "rsa", "sha256", None, "sha256"),
    0x0104: _SigAlg("RSASSA-PKCS1-v1_5 with SHA2-512", "rsa", "sha512", None, "sha512"),
    0x0201: _SigAlg("ECDSA with SHA2-256", "ec", "sha256", None, "sha256"),
    0x0202: _SigAlg("ECDSA with SHA2-512", "ec", "sha512", None, "sha512"),
    0x0301: _SigAlg("DSA with SHA2-256", "dsa", "sha256", None, "sha256"),
    0x0421: _SigAlg("RSASSA-PKCS1-v1_5 with SHA2-256 (verity)", "rsa", "sha256", None, "verity"),
    0x0423: _SigAlg("ECDSA with SHA2-256 (verity)", "ec", "sha256", None, "verity"),
    0x0425: _SigAlg("DSA with SHA2-256 (verity)", "dsa", "sha256", None, "verity"),
}


class _ContentDigester:
    """Chunked content digests of the APK outside the signing block, computed once each.

    The digested content is: entries [0, block offset), the central directory, and the EOCD
    with its central directory offset replaced by the signing block's offset.
    """

    def __init__(self, src: _Source, zs: _ZipSections, block_offset: int) -> None:
        self._src = src
        self._zs = zs
        self._block_offset = block_offset
        self._cache: dict[str, bytes] = {}

    def digest(self, algorithm: str) -> bytes:
        """The top-level chunked digest for "sha256" or "sha512"."""
        if algorithm not in self._cache:
            self._cache[algorithm] = self._compute(algorithm)
        return self._cache[algorithm]

    def _sections(self) -> Iterator[bytes]:
        zs = self._zs
        yield from self._src.chunks(0, self._block_offset, "APK entries section")
        yield from self._src.chunks(zs.cd_offset, zs.eocd_offset - zs.cd_offset, "central directory")
        eocd = bytearray(zs.eocd)
        struct.pack_into("<I", eocd, 16, self._block_offset)
        for start in range(0, len(eocd), _CHUNK):
            yield bytes(eocd[start : start + _CHUNK])

    def _compute(self, algorithm: str) -> bytes:
        chunk_digests = []
        for chunk in self._sections():
            hasher = hashlib.new(algorithm, b"\xa5" + struct.pack("<I", len(chunk)))
            hasher.update(chunk)
            chunk_digests.append(hasher.digest())
        top = hashlib.new(algorithm, b"\x5a" + struct.pack("<I", len(chunk_digests)))
        for chunk_digest in chunk_digests:
            top.update(chunk_digest)
        return top.digest()


@dataclass
class _BlockSigner:
    """One signer of a v2/v3 block, as parsed and checked so far."""

    index: int
    cert: _Cert | None = None
    min_sdk: int = 0
    max_sdk: int = 0
    digests: dict[int, bytes] = field(default_factory=dict)  # signature algorithm ID -> digest
    attributes: dict[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class _BlockContext:
    scheme: str
    block_ids: frozenset[int]  # scheme blocks present in the signing block
    digester: _ContentDigester


def _verify_block_scheme(block: bytes, ctx: _BlockContext) -> SchemeResult:
    """Verify a v2, v3 or v3.1 scheme block: signers, signatures, certificates, digests."""
    findings = _Findings()
    signers: list[_BlockSigner] = []
    try:
        signer_list = _Reader(block, f"{ctx.scheme} block").sub("signers")
        for index, signer_reader in enumerate(signer_list.items("signer"), start=1):
            if index > _MAX_SIGNERS:
                findings.problem(f"more than {_MAX_SIGNERS} signers")
                break
            signer = _BlockSigner(index)
            signers.append(signer)
            _parse_block_signer(signer_reader, signer, ctx, findings)
    except _Malformed as exc:
        findings.problem(f"malformed {ctx.scheme} signature block: {exc}")
    if not signers and not findings.failed:
        findings.problem("no signers")
    if ctx.scheme == "v3.1" and _BLOCK_IDS["v3"] not in ctx.block_ids:
        findings.problem("v3.1 signature block found without a v3 block")
    if not findings.failed:
        _check_content_digests(signers, ctx, findings)
    if ctx.scheme != "v2" and not findings.failed:
        _check_sdk_ranges(signers, findings)
    lineage = _lineage_certs(signers, findings) if ctx.scheme != "v2" else ()
    return findings.result(
        ctx.scheme,
        [signer.cert.public for signer in signers if signer.cert is not None],
        sdk_ranges=tuple((s.min_sdk, s.max_sdk) for s in signers) if ctx.scheme != "v2" else (),
        lineage=lineage,
    )


def _parse_block_signer(
    reader: _Reader, signer: _BlockSigner, ctx: _BlockContext, findings: _Findings
) -> None:
    """Parse one signer and check its signatures, certificate and signed attributes."""
    label = f"signer #{signer.index}"
    with_sdk = ctx.scheme != "v2"
    signed_data = reader.prefixed()
    if with_sdk:
        signer.min_sdk, signer.max_sdk = reader.i32(), reader.i32()
    signatures = [(item.u32(), item.prefixed()) for item in reader.sub("signatures").items("signature")]
    public_key_der = reader.prefixed()
    if not signatures or len(signatures) > _MAX_SIGNATURES:
        findings.problem(f"{label}: {len(signatures)} signatures (expected 1 to {_MAX_SIGNATURES})")
        return
    if not _check_block_signatures(signatures, public_key_der, signed_data, label, findings):
        return

    data = _Reader(signed_data, f"{label} signed data")
    digests = [(item.u32(), item.prefixed()) for item in data.sub("digests").items("digest")]
    certs = _prefixed_list(data.sub("certificates"))
    if with_sdk:
        signed_min, signed_max = data.i32(), data.i32()
        if (signed_min, signed_max) != (signer.min_sdk, signer.max_sdk):
            findings.problem(f"{label}: SDK range differs between signer record and signed data")
    for item in data.sub("additional attributes").items("attribute"):
        attr_id = item.u32()
        signer.attributes.setdefault(attr_id, item.take(item.remaining))

    if [alg for alg, _ in digests] != [alg for alg, _ in signatures]:
        findings.problem(f"{label}: signature algorithms differ between signatures and digests records")
    signer.digests = dict(digests)
    if not certs:
        findings.problem(f"{label}: no certificates")
        return
    signer.cert = _parse_cert(certs[0])
    if not _same_public_key(signer.cert.spki, public_key_der):
        findings.problem(f"{label}: public key does not match the first certificate")
    _check_signer_attributes(signer, ctx, findings)


def _prefixed_list(reader: _Reader) -> list[bytes]:
    """A sequence of uint32-length-prefixed byte strings."""
    values = []
    while reader.remaining:
        values.append(reader.prefixed())
    return values


def _check_block_signatures(
    signatures: list[tuple[int, bytes]],
    public_key_der: bytes,
    signed_data: bytes,
    label: str,
    findings: _Findings,
) -> bool:
    """Verify every signature with a known algorithm over the signed data."""
    known = [(alg_id, sig) for alg_id, sig in signatures if alg_id in _SIG_ALGS]
    for alg_id, _ in signatures:
        if alg_id not in _SIG_ALGS:
            findings.note(f"{label}: unknown signature algorithm 0x{alg_id:04x} ignored")
    if not known:
        findings.problem(f"{label}: no supported signature algorithms")
        return False
    public_key = _load_public_key(public_key_der)
    ok = True
    for alg_id, sig in known:
        alg = _SIG_ALGS[alg_id]
        error = _signature_error(public_key, alg.key_type, alg.hash_name, alg.pss_salt, sig, signed_data)
        if error is not None:
            findings.problem(f"{label}: {alg.name}: {error}")
            ok = False
    return ok


def _check_signer_attributes(signer: _BlockSigner, ctx: _BlockContext, findings: _Findings) -> None:
    """v2 stripping protection: a v2 signer may name a v3 signature that must be present."""
    protection = signer.attributes.get(_V2_STRIPPING_PROTECTION_ATTR)
    if ctx.scheme != "v2" or protection is None or len(protection) < 4:
        return
    claimed = struct.unpack_from("<I", protection)[0]
    if claimed == 3 and _BLOCK_IDS["v3"] not in ctx.block_ids:
        findings.problem(f"signer #{signer.index}: APK claims a v3 signature but none was found (stripped?)")


def _check_content_digests(signers: list[_BlockSigner], ctx: _BlockContext, findings: _Findings) -> None:
    """Compare each signer's content digests with the APK's actual chunked digests."""
    for signer in signers:
        checked = False
        for alg_id, expected in signer.digests.items():
            alg = _SIG_ALGS.get(alg_id)
            if alg is None:
                continue
            if alg.content_digest == "verity":
                findings.note(f"signer #{signer.index}: verity content digest ({alg.name}) not checked")
                continue
            checked = True
            if ctx.digester.digest(alg.content_digest) != expected:
                findings.problem(
                    f"signer #{signer.index}: APK content digest ({alg.content_digest}) does not match"
                )
        if not checked:
            findings.problem(f"signer #{signer.index}: no content digest that can be checked")


def _check_sdk_ranges(signers: list[_BlockSigner], findings: _Findings) -> None:
    """v3 signers must have sane SDK ranges that neither overlap nor leave gaps."""
    previous_max: int | None = None
    for signer in sorted(signers, key=lambda s: s.max_sdk):
        if signer.min_sdk < 0 or signer.min_sdk > signer.max_sdk:
            findings.problem(f"signer #{signer.index}: invalid SDK range {signer.min_sdk}-{signer.max_sdk}")
        dev_release = _V3_DEV_RELEASE_ATTR in signer.attributes
        if previous_max is not None and not (
            signer.min_sdk == previous_max + 1 or (dev_release and signer.min_sdk == previous_max)
        ):
            findings.problem("signers' SDK ranges overlap or leave gaps")
        previous_max = signer.max_sdk
    for signer in signers:
        rotation = signer.attributes.get(_V3_ROTATION_MIN_SDK_ATTR)
        if rotation is not None and len(rotation) >= 4:
            findings.note(
                f"signer #{signer.index}: rotation applies from SDK {struct.unpack_from('<I', rotation)[0]}"
            )


def _lineage_certs(signers: list[_BlockSigner], findings: _Findings) -> tuple[SignerCert, ...]:
    """Certificates of the proof-of-rotation lineage (parsed shallowly, not verified)."""
    for signer in signers:
        encoded = signer.attributes.get(_V3_LINEAGE_ATTR)
        if encoded is None:
            continue
        try:
            reader = _Reader(encoded, "signing certificate lineage")
            reader.u32()  # lineage format version
            certs: list[SignerCert] = []
            for node in reader.items("lineage node"):
                if len(certs) == _MAX_CERTIFICATES:
                    raise _Malformed(f"more than {_MAX_CERTIFICATES} certificates")
                signed = node.sub("signed data")
                certs.append(_parse_cert(signed.prefixed()).public)
        except _Malformed as exc:
            findings.note(f"signer #{signer.index}: unreadable proof-of-rotation lineage ({exc})")
            continue
        findings.note(
            f"signer #{signer.index}: proof-of-rotation lineage of {len(certs)} certificates "
            "(lineage signatures not verified)"
        )
        return tuple(certs)
    return ()


# --------------------------------------------------------------------------------------
# v1: JAR signing
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    """One manifest section: its byte span (blank terminator included) and attributes."""

    start: int
    end: int
    attributes: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str | None:
        if self.attributes and self.attributes[0][0].lower() == "name":
            return self.attributes[0][1]
        return None

    def get(self, key: str) -> str | None:
        """The first attribute named ``key`` (names compare case-insensitively)."""
        return self._by_name.get(key.lower())

    @functools.cached_property
    def _by_name(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for name, value in self.attributes:
            index.setdefault(name.lower(), value)
        return index


def _parse_manifest(data: bytes) -> list[_Section]:
    """Sections of a JAR manifest or .SF file; the first one is the main section.

    Lines end with CRLF, CR or LF; a line starting with a space continues the previous one
    (72-byte wrapping); sections end at a blank line, which belongs to the section's span.
    """
    sections: list[_Section] = []
    lines: list[bytes] = []
    section_start = 0
    position = 0
    # bytes.splitlines breaks at CRLF, CR and LF only, so each line holds at most its own terminator
    for line in data.splitlines(keepends=True):
        start = position
        position += len(line)
        content = line.rstrip(b"\r\n")
        if content:
            if not lines:
                section_start = start
            lines.append(content)
        elif lines:
            sections.append(_Section(section_start, position, _attributes(lines)))
            lines = []
    if lines:
        sections.append(_Section(section_start, len(data), _attributes(lines)))
    return sections


def _attributes(lines: list[bytes]) -> tuple[tuple[str, str], ...]:
    """Join continuation lines and split each attribute at the first ': '."""
    joined: list[bytes] = []
    for line in lines:
        if line.startswith(b" ") and joined:
            joined[-1] += line[1:]
        else:
            joined.append(line)
    result = []
    for raw in joined:
        text = raw.decode("utf-8", errors="replace")
        name, sep, value = text.partition(": ")
        result.append((name, value) if sep else (text, ""))
    return tuple(result)


_DIGEST_ALGS = (("SHA-512", "sha512"), ("SHA-384", "sha384"), ("SHA-256", "sha256"), ("SHA-1", "sha1"))


def _named_digest(section: _Section, suffix: str) -> tuple[str, bytes] | None:
    """The strongest ``<alg><suffix>`` digest attribute of a section: (hashlib name, digest)."""
    for jar_name, hash_name in _DIGEST_ALGS:
        attr = ("SHA1" if jar_name == "SHA-1" else jar_name) + suffix
        value = section.get(attr)
        if value is None:
            continue
        try:
            return hash_name, base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        except binascii.Error:
            raise _Malformed(f"{attr} attribute is not valid base64") from None
    return None


_SHA_DIGEST_OIDS = {
    "1.2.840.113549.2.5": "md5",
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_KEY_OIDS = {"1.2.840.113549.1.1.1": "rsa", "1.2.840.10040.4.1": "dsa", "1.2.840.10045.2.1": "ec"}
_SIGNATURE_OIDS = {  # signature algorithm OID -> (key type, hash)
    "1.2.840.113549.1.1.4": ("rsa", "md5"),
    "1.2.840.113549.1.1.5": ("rsa", "sha1"),
    "1.2.840.113549.1.1.14": ("rsa", "sha224"),
    "1.2.840.113549.1.1.11": ("rsa", "sha256"),
    "1.2.840.113549.1.1.12": ("rsa", "sha384"),
    "1.2.840.113549.1.1.13": ("rsa", "sha512"),
    "1.2.840.10040.4.3": ("dsa", "sha1"),
    "2.16.840.1.101.3.4.3.1": ("dsa", "sha224"),
    "2.16.840.1.101.3.4.3.2": ("dsa", "sha256"),
    "1.2.840.10045.4.1": ("ec", "sha1"),
    "1.2.840.10045.4.3.1": ("ec", "sha224"),
    "1.2.840.10045.4.3.2": ("ec", "sha256"),
    "1.2.840.10045.4.3.3": ("ec", "sha384"),
    "1.2.840.10045.4.3.4": ("ec", "sha512"),
}
_OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
_OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
_OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"


@dataclass(eq=False)
class _JarSigner:
    """A signature block file (.RSA/.DSA/.EC) with its signature file (.SF); compared by identity."""

    block: _ZipEntry
    sig_file: _ZipEntry
    sf_bytes: bytes = b""
    cert: _Cert | None = None
    entry_names: set[str] = field(default_factory=set)  # entries listed in the .SF

    @property
    def name(self) -> str:
        return self.block.name.removeprefix("META-INF/")


def _is_jar_signature_file(name: str) -> bool:
    return name.startswith("META-INF/") and name.endswith((".SF", *_SIG_FILE_SUFFIXES))


def _verify_v1(
    src: _Source, zs: _ZipSections, entries: list[_ZipEntry], block_ids: frozenset[int],
    content_proven: bool = False,
) -> SchemeResult:
    """Verify the JAR signature: signature blocks, .SF files, MANIFEST.MF and entry digests.

    With ``content_proven`` (a v2/v3 signature verified, so every byte of every entry is authentic) the
    entries are still checked to be listed and signed, but not inflated again to recompute their digests;
    Android 7 and later ignore v1 altogether in that case.
    """
    findings = _Findings()
    signers = _verify_jar_signers(src, zs, entries, block_ids, findings, content_proven)
    return findings.result("v1", [signer.cert.public for signer in signers if signer.cert is not None])


def _verify_jar_signers(
    src: _Source, zs: _ZipSections, entries: list[_ZipEntry], block_ids: frozenset[int], findings: _Findings,
    content_proven: bool = False,
) -> list[_JarSigner]:
    """The staged v1 checks; returns the signers whose certificates are to be reported.

    As in apksig, a signature block that does not verify stops the checks (nothing signed by
    it can be trusted); other problems are collected and the remaining stages still run.
    """
    files = [entry for entry in entries if not entry.name.endswith("/")]
    by_name: dict[str, _ZipEntry] = {}
    for entry in files:
        if entry.name in by_name:
            findings.problem(f"duplicate zip entry {entry.name}")
        by_name.setdefault(entry.name, entry)
    manifest_entry = by_name.get(_MANIFEST_NAME)
    if manifest_entry is None:
        findings.problem(f"{_MANIFEST_NAME} is missing")
        return []
    manifest = _read_entry(src, manifest_entry, zs.cd_offset)
    sections = _parse_manifest(manifest)
    main = sections[0] if sections else _Section(0, 0, ())
    named = _manifest_entry_sections(sections[1:], by_name, findings)
    signers = _pair_jar_signers(files, by_name, findings)
    if not signers or len(signers) > _MAX_SIGNERS:
        return []
    if not all([_verify_signature_block(src, zs, signer, findings) for signer in signers]):
        return [signer for signer in signers if signer.cert is not None]
    active = [
        signer
        for signer in signers
        if _verify_sf_against_manifest(signer, manifest, main, named, block_ids, findings)
    ]
    if not active:
        findings.problem("no usable JAR signature (every .SF file was ignored)")
        return signers
    used = _verify_entries(src, zs, files, named, active, findings, check_digests=not content_proven)
    if content_proven:
        findings.note("entry digests not recomputed: a verified v2/v3 signature already covers every entry")
    protected = _signature_entry_names(used)
    unprotected = [e.name for e in files if e.name.startswith("META-INF/") and e.name not in protected]
    if unprotected:
        findings.note(
            f"{len(unprotected)} META-INF/ entries not protected by the JAR signature, e.g. {unprotected[0]}"
        )
    return used or active


def _manifest_entry_sections(
    sections: list[_Section], by_name: dict[str, _ZipEntry], findings: _Findings
) -> dict[str, _Section]:
    """MANIFEST.MF's per-entry sections by name, checking they name existing entries once."""
    named: dict[str, _Section] = {}
    for number, section in enumerate(sections, start=1):
        name = section.name
        if name is None:
            findings.problem(f"{_MANIFEST_NAME} section #{number} has no Name")
        elif name in named:
            findings.problem(f"{_MANIFEST_NAME} has a duplicate section for {name}")
        else:
            named[name] = section
            if name not in by_name:
                findings.problem(f"{name} is listed in {_MANIFEST_NAME} but missing from the APK")
    return named


def _pair_jar_signers(
    files: list[_ZipEntry], by_name: dict[str, _ZipEntry], findings: _Findings
) -> list[_JarSigner]:
    """Match each signature block file with its .SF file."""
    signers = []
    for entry in files:
        if not (entry.name.startswith("META-INF/") and entry.name.endswith(_SIG_FILE_SUFFIXES)):
            continue
        sf_name = entry.name.rsplit(".", 1)[0] + ".SF"
        sig_file = by_name.get(sf_name)
        if sig_file is None:
            findings.note(f"partial JAR signature: {entry.name} has no {sf_name}")
        else:
            signers.append(_JarSigner(entry, sig_file))
    if not signers:
        findings.problem("no JAR signatures (no signature block with a matching .SF file)")
    elif len(signers) > _MAX_SIGNERS:
        findings.problem(f"more than {_MAX_SIGNERS} JAR signers")
    return signers


def _verify_signature_block(src: _Source, zs: _ZipSections, signer: _JarSigner, findings: _Findings) -> bool:
    """Verify the PKCS#7 SignedData of a signature block file over its .SF file."""
    try:
        block_der = _read_entry(src, signer.block, zs.cd_offset)
        signer.sf_bytes = _read_entry(src, signer.sig_file, zs.cd_offset)
        info = asn1_cms.ContentInfo.load(block_der)
        if info["content_type"].dotted != _OID_SIGNED_DATA:
            raise _Malformed("not a PKCS#7 SignedData")
        signed_data = info["content"]
        encap_type = signed_data["encap_content_info"]["content_type"].dotted
        cert_ders = [
            choice.chosen.dump()
            for choice in (signed_data["certificates"] or [])
            if choice.name == "certificate"
        ]
        signer_infos = list(signed_data["signer_infos"])
    except _Malformed as exc:
        findings.problem(f"{signer.block.name}: {exc}")
        return False
    except Exception as exc:  # asn1crypto parses lazily and raises many types
        findings.problem(f"{signer.block.name}: malformed PKCS#7 signature block ({type(exc).__name__})")
        return False
    if not signer_infos or len(signer_infos) > _MAX_SIGNERS or len(cert_ders) > _MAX_CERTIFICATES:
        findings.problem(
            f"{signer.block.name}: implausible SignedData "
            f"({len(signer_infos)} SignerInfos, {len(cert_ders)} certificates)"
        )
        return False
    try:
        certs = [_parse_cert(der) for der in cert_ders]
    except _Malformed as exc:
        findings.problem(f"{signer.block.name}: {exc}")
        return False
    errors = []
    for signer_info in signer_infos:
        try:
            cert = _verify_signer_info(signer_info, certs, encap_type, signer.sf_bytes)
        except _Malformed as exc:
            errors.append(str(exc))
            continue
        except Exception as exc:  # see above
            errors.append(f"malformed SignerInfo ({type(exc).__name__})")
            continue
        signer.cert = cert
        return True
    findings.problem(
        f"{signer.block.name} does not verify against {signer.sig_file.name}: {'; '.join(errors)}"
    )
    return False


def _verify_signer_info(
    signer_info: asn1_cms.SignerInfo, certs: list[_Cert], encap_type: str, sf: bytes
) -> _Cert:
    """Verify one SignerInfo over the .SF file; returns its certificate or raises _Malformed."""
    sid = signer_info["sid"]
    if sid.name != "issuer_and_serial_number":
        raise _Malformed("SignerInfo does not identify its certificate by issuer and serial number")
    issuer, serial = sid.chosen["issuer"], int(sid.chosen["serial_number"].native)
    cert = next((c for c in certs if c.serial == serial and _same_name(c.issuer, issuer)), None)
    if cert is None:
        raise _Malformed("signing certificate not found in the signature block")
    if not cert.signing_allowed:
        raise _Malformed("signing certificate's keyUsage does not allow digital signatures")
    digest_name = _SHA_DIGEST_OIDS.get(signer_info["digest_algorithm"]["algorithm"].dotted)
    sig_oid = signer_info["signature_algorithm"]["algorithm"].dotted
    key_type, hash_name = _SIGNATURE_OIDS.get(sig_oid, (_KEY_OIDS.get(sig_oid, ""), digest_name or ""))
    if not key_type or not hash_name or digest_name is None:
        raise _Malformed(f"unsupported signature algorithm {sig_oid}")
    signed_attrs = signer_info["signed_attrs"]
    if isinstance(signed_attrs, asn1_core.Void):
        data = sf
    else:
        _check_signed_attributes(signed_attrs, encap_type, hashlib.new(digest_name, sf).digest())
        data = b"\x31" + signed_attrs.dump()[1:]  # signed over the UNIVERSAL SET form, as Android does
    error = _signature_error(
        _load_public_key(cert.spki), key_type, hash_name, None, signer_info["signature"].native, data
    )
    if error is not None:
        raise _Malformed(error)
    return cert


def _same_name(a: asn1_x509.Name, b: asn1_x509.Name) -> bool:
    return bool(a.dump() == b.dump() or a == b)


def _check_signed_attributes(attrs: asn1_cms.CMSAttributes, encap_type: str, sf_digest: bytes) -> None:
    """Signed attributes must name the content type and carry the .SF file's digest."""
    values: dict[str, list[asn1_core.Asn1Value]] = {}
    for attr in attrs:
        oid = attr["type"].dotted
        if oid in values:
            raise _Malformed(f"duplicate signed attribute {oid}")
        values[oid] = list(attr["values"])
    content_type = values.get(_OID_CONTENT_TYPE, [])
    if len(content_type) != 1 or content_type[0].dotted != encap_type:
        raise _Malformed("content-type signed attribute is missing or does not match")
    message_digest = values.get(_OID_MESSAGE_DIGEST, [])
    if len(message_digest) != 1:
        raise _Malformed("message-digest signed attribute is missing")
    if message_digest[0].native != sf_digest:
        raise _Malformed("message-digest signed attribute does not match the .SF file")


def _verify_sf_against_manifest(
    signer: _JarSigner,
    manifest: bytes,
    main: _Section,
    named: dict[str, _Section],
    block_ids: frozenset[int],
    findings: _Findings,
) -> bool:
    """Check one .SF file against MANIFEST.MF; False if the signer is to be ignored."""
    sf_name = signer.sig_file.name
    sf_sections = _parse_manifest(signer.sf_bytes)
    sf_main = sf_sections[0] if sf_sections else _Section(0, 0, ())
    if sf_main.get("Signature-Version") is None:
        findings.note(f"{sf_name} ignored: no Signature-Version")
        return False
    _check_stripping_protection(sf_main, sf_name, block_ids, findings)
    by_signtool = "signtool" in (sf_main.get("Created-By") or "")
    whole = _named_digest(sf_main, "-Digest" if by_signtool else "-Digest-Manifest")
    whole_ok = whole is not None and hashlib.new(whole[0], manifest).digest() == whole[1]
    if whole is None:
        findings.note(f"{sf_name} has no digest of the whole manifest")
    elif not whole_ok:
        findings.note(f"{sf_name}: whole-manifest digest does not match; checking sections instead")
    main_digest = None if by_signtool else _named_digest(sf_main, "-Digest-Manifest-Main-Attributes")
    if (
        main_digest is not None
        and hashlib.new(main_digest[0], manifest[main.start : main.end]).digest() != main_digest[1]
    ):
        findings.problem(f"{sf_name}: digest of the manifest's main attributes does not match")
    for section in sf_sections[1:]:
        name = section.name
        if name is None or name in signer.entry_names:
            findings.note(f"{sf_name} ignored: unnamed or duplicate section")
            return False
        signer.entry_names.add(name)
        if whole_ok:
            continue
        if name not in named:
            findings.note(f"{sf_name} ignored: {name} has no section in {_MANIFEST_NAME}")
            return False
        _check_manifest_section(section, named[name], manifest, by_signtool, sf_name, findings)
    return True


def _check_manifest_section(
    sf_section: _Section,
    section: _Section,
    manifest: bytes,
    by_signtool: bool,
    sf_name: str,
    findings: _Findings,
) -> None:
    """The .SF digest of one MANIFEST.MF section must match that section's bytes."""
    expected = _named_digest(sf_section, "-Digest")
    if expected is None:
        findings.problem(f"{sf_name} has no digest for {sf_section.name}")
        return
    end = section.end
    if by_signtool and manifest[end - 2 : end] == b"\n\n":
        end -= 1
    if hashlib.new(expected[0], manifest[section.start : end]).digest() != expected[1]:
        findings.problem(
            f"{sf_name} digest of the {_MANIFEST_NAME} section for {sf_section.name} does not match"
        )


def _check_stripping_protection(
    sf_main: _Section, sf_name: str, block_ids: frozenset[int], findings: _Findings
) -> None:
    """X-Android-APK-Signed names the v2+ schemes the APK was signed with; they must be present."""
    claimed = sf_main.get("X-Android-APK-Signed")
    if claimed is None:
        if block_ids:
            findings.note(f"{sf_name} lacks X-Android-APK-Signed (no signature stripping protection)")
        return
    for token in claimed.split(","):
        scheme = {"2": "v2", "3": "v3"}.get(token.strip())
        if scheme is not None and _BLOCK_IDS[scheme] not in block_ids:
            findings.problem(
                f"{sf_name} says the APK is signed with {scheme} but no {scheme} block exists (stripped?)"
            )


def _verify_entries(
    src: _Source,
    zs: _ZipSections,
    files: list[_ZipEntry],
    named: dict[str, _Section],
    signers: list[_JarSigner],
    findings: _Findings,
    check_digests: bool = True,
) -> list[_JarSigner]:
    """Every entry outside META-INF/ must be listed, signed by the same signers, and match."""
    budget = max(_INFLATE_BUDGET_FLOOR, _INFLATE_BUDGET_RATIO * src.size)
    first_signers: list[_JarSigner] | None = None
    for entry in sorted(files, key=lambda e: e.local_offset):
        if entry.name.startswith("META-INF/"):
            continue
        section = named.get(entry.name)
        if section is None:
            findings.problem(f"{entry.name} is not listed in {_MANIFEST_NAME}")
            continue
        entry_signers = [signer for signer in signers if entry.name in signer.entry_names]
        if not entry_signers:
            findings.problem(f"{entry.name} is not covered by any .SF file")
            continue
        if first_signers is None:
            first_signers = entry_signers
        elif entry_signers != first_signers:
            findings.problem(f"{entry.name} is signed by a different set of signers than other entries")
            continue
        expected = _named_digest(section, "-Digest")
        if expected is None:
            findings.problem(f"{_MANIFEST_NAME} has no digest for {entry.name}")
            continue
        if not check_digests:
            continue
        budget -= entry.uncompressed_size
        if budget < 0:
            findings.problem("APK inflates to an implausible size; entry digests not checked further")
            break
        try:
            hasher = hashlib.new(expected[0])
            known = src.inflated.get(entry.name)
            if known is not None and len(known) == entry.uncompressed_size:
                hasher.update(known)
            else:
                for chunk in _entry_chunks(src, entry, zs.cd_offset):
                    hasher.update(chunk)
        except _Malformed as exc:
            findings.problem(str(exc))
            continue
        if hasher.digest() != expected[1]:
            findings.problem(f"{_MANIFEST_NAME} digest of {entry.name} does not match")
    if first_signers is None:
        findings.problem("no signed entries in the APK")
        return []
    return first_signers


def _signature_entry_names(signers: list[_JarSigner]) -> set[str]:
    names = {_MANIFEST_NAME}
    for signer in signers:
        names.update((signer.block.name, signer.sig_file.name))
    return names


# --------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------


def _verify(src: _Source) -> SignatureReport:
    """Verify every present scheme; structural failures become report problems."""
    problems: list[str] = []
    try:
        zs = _find_zip_sections(src)
    except _Malformed as exc:
        return SignatureReport((), (str(exc),))
    try:
        block = _find_signing_block(src, zs, problems)
    except _Malformed as exc:
        problems.append(f"unreadable APK Signing Block: {exc}")
        block = None
    block_ids = frozenset(block.values) if block else frozenset()
    results: list[SchemeResult] = []
    try:
        entries = _parse_central_directory(src, zs)
    except _Malformed as exc:
        problems.append(str(exc))
        entries = []
    block_results: list[SchemeResult] = []
    if block is not None:
        digester = _ContentDigester(src, zs, block.offset)
        for scheme in ("v2", "v3", "v3.1"):
            value = block.values.get(_BLOCK_IDS[scheme])
            if value is not None:
                ctx = _BlockContext(scheme, block_ids, digester)
                block_results.append(_guarded(scheme, functools.partial(_verify_block_scheme, value, ctx)))
    if any(_is_jar_signature_file(entry.name) for entry in entries):
        proven = any(r.verified for r in block_results if r.scheme in ("v2", "v3"))
        results.append(_guarded("v1", functools.partial(_verify_v1, src, zs, entries, block_ids, proven)))
    results += block_results
    return SignatureReport(tuple(_check_v1_v2_signers(results)), tuple(problems))


def _guarded(scheme: str, verify: Callable[[], SchemeResult]) -> SchemeResult:
    """Run one scheme's verification, turning any structural failure into a problem."""
    try:
        return verify()
    except _Malformed as exc:
        return SchemeResult(scheme, False, (str(exc),), ())
    except Exception as exc:  # keep the other schemes' results on unexpected failure
        return SchemeResult(scheme, False, (f"internal error while verifying: {type(exc).__name__}",), ())


def _check_v1_v2_signers(results: list[SchemeResult]) -> list[SchemeResult]:
    """As apksig: when v1 and v2 both verify, they must be made by the same signers.

    A mismatch fails v1 (Android before 7.0 would see a different app identity).
    """
    verified = {result.scheme: result for result in results if result.verified}
    if "v1" not in verified or "v2" not in verified:
        return results
    v1_certs = {cert.sha256 for cert in verified["v1"].certificates}
    if v1_certs == {cert.sha256 for cert in verified["v2"].certificates}:
        return results
    mismatch = "v1 signer certificates differ from the v2 signer certificates"
    return [
        dataclasses.replace(result, verified=False, problems=(*result.problems, mismatch))
        if result.scheme == "v1"
        else result
        for result in results
    ]

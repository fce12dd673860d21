"""APK Signature Scheme v2, v3 and v3.1: the APK Signing Block, its signers, content digests and lineage."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from gate.apk.archive import CHUNK, Source, ZipFormatError, ZipSections
from gate.apk.signature.certificates import (
    Cert,
    load_public_key,
    parse_cert,
    same_public_key,
    signature_error,
)
from gate.apk.signature.common import MAX_CERTIFICATES, MAX_SIGNATURES, MAX_SIGNERS, Findings, Reader
from gate.apk.signature_report import SchemeResult, SignerCert

_SIG_BLOCK_MAGIC = b"APK Sig Block 42"
_SIG_BLOCK_FOOTER = 24  # uint64 size + 16-byte magic
BLOCK_IDS = {"v2": 0x7109871A, "v3": 0xF05368C0, "v3.1": 0x1B93AD61}

_V2_STRIPPING_PROTECTION_ATTR = 0xBEEFF00D
_V3_LINEAGE_ATTR = 0x3BA06F8C
_V3_ROTATION_MIN_SDK_ATTR = 0x559F8B02
_V3_DEV_RELEASE_ATTR = 0xC2A6B3BA


@dataclass(frozen=True)
class SigningBlock:
    offset: int  # file offset of the block (its leading size field)
    values: dict[int, bytes]  # scheme block ID -> value, for the IDs we verify


def find_signing_block(src: Source, zs: ZipSections, problems: list[str]) -> SigningBlock | None:
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
    wanted = set(BLOCK_IDS.values())
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
    return SigningBlock(offset, values)


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


class ContentDigester:
    """Chunked content digests of the APK outside the signing block, computed once each.

    The digested content is: entries [0, block offset), the central directory, and the EOCD
    with its central directory offset replaced by the signing block's offset.
    """

    def __init__(self, src: Source, zs: ZipSections, block_offset: int) -> None:
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
        for start in range(0, len(eocd), CHUNK):
            yield bytes(eocd[start : start + CHUNK])

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
    cert: Cert | None = None
    min_sdk: int = 0
    max_sdk: int = 0
    digests: dict[int, bytes] = field(default_factory=dict)  # signature algorithm ID -> digest
    attributes: dict[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class BlockContext:
    scheme: str
    block_ids: frozenset[int]  # scheme blocks present in the signing block
    digester: ContentDigester


def verify_block_scheme(block: bytes, ctx: BlockContext) -> SchemeResult:
    """Verify a v2, v3 or v3.1 scheme block: signers, signatures, certificates, digests."""
    findings = Findings()
    signers: list[_BlockSigner] = []
    try:
        signer_list = Reader(block, f"{ctx.scheme} block").sub("signers")
        for index, signer_reader in enumerate(signer_list.items("signer"), start=1):
            if index > MAX_SIGNERS:
                findings.problem(f"more than {MAX_SIGNERS} signers")
                break
            signer = _BlockSigner(index)
            signers.append(signer)
            _parse_block_signer(signer_reader, signer, ctx, findings)
    except ZipFormatError as exc:
        findings.problem(f"malformed {ctx.scheme} signature block: {exc}")
    if not signers and not findings.failed:
        findings.problem("no signers")
    if ctx.scheme == "v3.1" and BLOCK_IDS["v3"] not in ctx.block_ids:
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
    reader: Reader, signer: _BlockSigner, ctx: BlockContext, findings: Findings
) -> None:
    """Parse one signer and check its signatures, certificate and signed attributes."""
    label = f"signer #{signer.index}"
    with_sdk = ctx.scheme != "v2"
    signed_data = reader.prefixed()
    if with_sdk:
        signer.min_sdk, signer.max_sdk = reader.i32(), reader.i32()
    signatures = [(item.u32(), item.prefixed()) for item in reader.sub("signatures").items("signature")]
    public_key_der = reader.prefixed()
    if not signatures or len(signatures) > MAX_SIGNATURES:
        findings.problem(f"{label}: {len(signatures)} signatures (expected 1 to {MAX_SIGNATURES})")
        return
    if not _check_block_signatures(signatures, public_key_der, signed_data, label, findings):
        return

    data = Reader(signed_data, f"{label} signed data")
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
    signer.cert = parse_cert(certs[0])
    if not same_public_key(signer.cert.spki, public_key_der):
        findings.problem(f"{label}: public key does not match the first certificate")
    _check_signer_attributes(signer, ctx, findings)


def _prefixed_list(reader: Reader) -> list[bytes]:
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
    findings: Findings,
) -> bool:
    """Verify every signature with a known algorithm over the signed data."""
    known = [(alg_id, sig) for alg_id, sig in signatures if alg_id in _SIG_ALGS]
    for alg_id, _ in signatures:
        if alg_id not in _SIG_ALGS:
            findings.note(f"{label}: unknown signature algorithm 0x{alg_id:04x} ignored")
    if not known:
        findings.problem(f"{label}: no supported signature algorithms")
        return False
    public_key = load_public_key(public_key_der)
    ok = True
    for alg_id, sig in known:
        alg = _SIG_ALGS[alg_id]
        error = signature_error(public_key, alg.key_type, alg.hash_name, alg.pss_salt, sig, signed_data)
        if error is not None:
            findings.problem(f"{label}: {alg.name}: {error}")
            ok = False
    return ok


def _check_signer_attributes(signer: _BlockSigner, ctx: BlockContext, findings: Findings) -> None:
    """v2 stripping protection: a v2 signer may name a v3 signature that must be present."""
    protection = signer.attributes.get(_V2_STRIPPING_PROTECTION_ATTR)
    if ctx.scheme != "v2" or protection is None or len(protection) < 4:
        return
    claimed = struct.unpack_from("<I", protection)[0]
    if claimed == 3 and BLOCK_IDS["v3"] not in ctx.block_ids:
        findings.problem(f"signer #{signer.index}: APK claims a v3 signature but none was found (stripped?)")


def _check_content_digests(signers: list[_BlockSigner], ctx: BlockContext, findings: Findings) -> None:
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


def _check_sdk_ranges(signers: list[_BlockSigner], findings: Findings) -> None:
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


def _lineage_certs(signers: list[_BlockSigner], findings: Findings) -> tuple[SignerCert, ...]:
    """Certificates of the proof-of-rotation lineage (parsed shallowly, not verified)."""
    for signer in signers:
        encoded = signer.attributes.get(_V3_LINEAGE_ATTR)
        if encoded is None:
            continue
        try:
            reader = Reader(encoded, "signing certificate lineage")
            reader.u32()  # lineage format version
            certs: list[SignerCert] = []
            for node in reader.items("lineage node"):
                if len(certs) == MAX_CERTIFICATES:
                    raise ZipFormatError(f"more than {MAX_CERTIFICATES} certificates")
                signed = node.sub("signed data")
                certs.append(parse_cert(signed.prefixed()).public)
        except ZipFormatError as exc:
            findings.note(f"signer #{signer.index}: unreadable proof-of-rotation lineage ({exc})")
            continue
        findings.note(
            f"signer #{signer.index}: proof-of-rotation lineage of {len(certs)} certificates "
            "(lineage signatures not verified)"
        )
        return tuple(certs)
    return ()

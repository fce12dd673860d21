"""APK Signature Scheme v1 (JAR signing): MANIFEST.MF, the .SF files, the PKCS #7 signature blocks, entry digests."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from dataclasses import dataclass, field

from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import x509 as asn1_x509

from gate.apk.archive import Source, ZipEntry, ZipFormatError, ZipSections, entry_chunks
from gate.apk.signature.blocks import BLOCK_IDS
from gate.apk.signature.certificates import (
    Cert,
    load_public_key,
    parse_cert,
    signature_error,
)
from gate.apk.signature.common import (
    INFLATE_BUDGET_FLOOR,
    INFLATE_BUDGET_RATIO,
    MAX_CERTIFICATES,
    MAX_SIGNERS,
    Findings,
    read_entry,
)
from gate.apk.signature_report import SchemeResult

_SIG_FILE_SUFFIXES = (".RSA", ".DSA", ".EC")
_MANIFEST_NAME = "META-INF/MANIFEST.MF"


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


def parse_jar_manifest(data: bytes) -> list[_Section]:
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
            sections.append(_Section(section_start, position, manifest_attributes(lines)))
            lines = []
    if lines:
        sections.append(_Section(section_start, len(data), manifest_attributes(lines)))
    return sections


def manifest_attributes(lines: list[bytes]) -> tuple[tuple[str, str], ...]:
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
            raise ZipFormatError(f"{attr} attribute is not valid base64") from None
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

    block: ZipEntry
    sig_file: ZipEntry
    sf_bytes: bytes = b""
    cert: Cert | None = None
    entry_names: set[str] = field(default_factory=set)  # entries listed in the .SF

    @property
    def name(self) -> str:
        return self.block.name.removeprefix("META-INF/")


def is_jar_signature_file(name: str) -> bool:
    return name.startswith("META-INF/") and name.endswith((".SF", *_SIG_FILE_SUFFIXES))


def verify_v1(
    src: Source, zs: ZipSections, entries: list[ZipEntry], block_ids: frozenset[int],
    content_proven: bool = False,
) -> SchemeResult:
    """Verify the JAR signature: signature blocks, .SF files, MANIFEST.MF and entry digests.

    With ``content_proven`` (a v2/v3 signature verified, so every byte of every entry is authentic) the
    entries are still checked to be listed and signed, but not inflated again to recompute their digests;
    Android 7 and later ignore v1 altogether in that case.
    """
    findings = Findings()
    signers = _verify_jar_signers(src, zs, entries, block_ids, findings, content_proven)
    return findings.result("v1", [signer.cert.public for signer in signers if signer.cert is not None])


def _verify_jar_signers(
    src: Source, zs: ZipSections, entries: list[ZipEntry], block_ids: frozenset[int], findings: Findings,
    content_proven: bool = False,
) -> list[_JarSigner]:
    """The staged v1 checks; returns the signers whose certificates are to be reported.

    As in apksig, a signature block that does not verify stops the checks (nothing signed by
    it can be trusted); other problems are collected and the remaining stages still run.
    """
    files = [entry for entry in entries if not entry.name.endswith("/")]
    by_name = {entry.name: entry for entry in files}  # names are unique: gate.apk.archive refuses duplicates
    manifest_entry = by_name.get(_MANIFEST_NAME)
    if manifest_entry is None:
        findings.problem(f"{_MANIFEST_NAME} is missing")
        return []
    manifest = read_entry(src, manifest_entry, zs.cd_offset)
    sections = parse_jar_manifest(manifest)
    main = sections[0] if sections else _Section(0, 0, ())
    named = _manifest_entry_sections(sections[1:], by_name, findings)
    signers = _pair_jar_signers(files, by_name, findings)
    if not signers or len(signers) > MAX_SIGNERS:
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
    sections: list[_Section], by_name: dict[str, ZipEntry], findings: Findings
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
    files: list[ZipEntry], by_name: dict[str, ZipEntry], findings: Findings
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
    elif len(signers) > MAX_SIGNERS:
        findings.problem(f"more than {MAX_SIGNERS} JAR signers")
    return signers


def _verify_signature_block(src: Source, zs: ZipSections, signer: _JarSigner, findings: Findings) -> bool:
    """Verify the PKCS#7 SignedData of a signature block file over its .SF file."""
    try:
        block_der = read_entry(src, signer.block, zs.cd_offset)
        signer.sf_bytes = read_entry(src, signer.sig_file, zs.cd_offset)
        info = asn1_cms.ContentInfo.load(block_der)
        if info["content_type"].dotted != _OID_SIGNED_DATA:
            raise ZipFormatError("not a PKCS#7 SignedData")
        signed_data = info["content"]
        encap_type = signed_data["encap_content_info"]["content_type"].dotted
        cert_ders = [
            choice.chosen.dump()
            for choice in (signed_data["certificates"] or [])
            if choice.name == "certificate"
        ]
        signer_infos = list(signed_data["signer_infos"])
    except ZipFormatError as exc:
        findings.problem(f"{signer.block.name}: {exc}")
        return False
    except Exception as exc:  # asn1crypto parses lazily and raises many types
        findings.problem(f"{signer.block.name}: malformed PKCS#7 signature block ({type(exc).__name__})")
        return False
    if not signer_infos or len(signer_infos) > MAX_SIGNERS or len(cert_ders) > MAX_CERTIFICATES:
        findings.problem(
            f"{signer.block.name}: implausible SignedData "
            f"({len(signer_infos)} SignerInfos, {len(cert_ders)} certificates)"
        )
        return False
    try:
        certs = [parse_cert(der) for der in cert_ders]
    except ZipFormatError as exc:
        findings.problem(f"{signer.block.name}: {exc}")
        return False
    errors = []
    for signer_info in signer_infos:
        try:
            cert = _verify_signer_info(signer_info, certs, encap_type, signer.sf_bytes)
        except ZipFormatError as exc:
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
    signer_info: asn1_cms.SignerInfo, certs: list[Cert], encap_type: str, sf: bytes
) -> Cert:
    """Verify one SignerInfo over the .SF file; returns its certificate or raises ZipFormatError."""
    sid = signer_info["sid"]
    if sid.name != "issuer_and_serial_number":
        raise ZipFormatError("SignerInfo does not identify its certificate by issuer and serial number")
    issuer, serial = sid.chosen["issuer"], int(sid.chosen["serial_number"].native)
    cert = next((c for c in certs if c.serial == serial and _same_name(c.issuer, issuer)), None)
    if cert is None:
        raise ZipFormatError("signing certificate not found in the signature block")
    if not cert.signing_allowed:
        raise ZipFormatError("signing certificate's keyUsage does not allow digital signatures")
    digest_name = _SHA_DIGEST_OIDS.get(signer_info["digest_algorithm"]["algorithm"].dotted)
    sig_oid = signer_info["signature_algorithm"]["algorithm"].dotted
    key_type, hash_name = _SIGNATURE_OIDS.get(sig_oid, (_KEY_OIDS.get(sig_oid, ""), digest_name or ""))
    if not key_type or not hash_name or digest_name is None:
        raise ZipFormatError(f"unsupported signature algorithm {sig_oid}")
    signed_attrs = signer_info["signed_attrs"]
    if isinstance(signed_attrs, asn1_core.Void):
        data = sf
    else:
        _check_signed_attributes(signed_attrs, encap_type, hashlib.new(digest_name, sf).digest())
        data = b"\x31" + signed_attrs.dump()[1:]  # signed over the UNIVERSAL SET form, as Android does
    error = signature_error(
        load_public_key(cert.spki), key_type, hash_name, None, signer_info["signature"].native, data
    )
    if error is not None:
        raise ZipFormatError(error)
    return cert


def _same_name(a: asn1_x509.Name, b: asn1_x509.Name) -> bool:
    return bool(a.dump() == b.dump() or a == b)


def _check_signed_attributes(attrs: asn1_cms.CMSAttributes, encap_type: str, sf_digest: bytes) -> None:
    """Signed attributes must name the content type and carry the .SF file's digest."""
    values: dict[str, list[asn1_core.Asn1Value]] = {}
    for attr in attrs:
        oid = attr["type"].dotted
        if oid in values:
            raise ZipFormatError(f"duplicate signed attribute {oid}")
        values[oid] = list(attr["values"])
    content_type = values.get(_OID_CONTENT_TYPE, [])
    if len(content_type) != 1 or content_type[0].dotted != encap_type:
        raise ZipFormatError("content-type signed attribute is missing or does not match")
    message_digest = values.get(_OID_MESSAGE_DIGEST, [])
    if len(message_digest) != 1:
        raise ZipFormatError("message-digest signed attribute is missing")
    if message_digest[0].native != sf_digest:
        raise ZipFormatError("message-digest signed attribute does not match the .SF file")


def _verify_sf_against_manifest(
    signer: _JarSigner,
    manifest: bytes,
    main: _Section,
    named: dict[str, _Section],
    block_ids: frozenset[int],
    findings: Findings,
) -> bool:
    """Check one .SF file against MANIFEST.MF; False if the signer is to be ignored."""
    sf_name = signer.sig_file.name
    sf_sections = parse_jar_manifest(signer.sf_bytes)
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
    findings: Findings,
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
    sf_main: _Section, sf_name: str, block_ids: frozenset[int], findings: Findings
) -> None:
    """X-Android-APK-Signed names the v2+ schemes the APK was signed with; they must be present."""
    claimed = sf_main.get("X-Android-APK-Signed")
    if claimed is None:
        if block_ids:
            findings.note(f"{sf_name} lacks X-Android-APK-Signed (no signature stripping protection)")
        return
    for token in claimed.split(","):
        scheme = {"2": "v2", "3": "v3"}.get(token.strip())
        if scheme is not None and BLOCK_IDS[scheme] not in block_ids:
            findings.problem(
                f"{sf_name} says the APK is signed with {scheme} but no {scheme} block exists (stripped?)"
            )


def _verify_entries(
    src: Source,
    zs: ZipSections,
    files: list[ZipEntry],
    named: dict[str, _Section],
    signers: list[_JarSigner],
    findings: Findings,
    check_digests: bool = True,
) -> list[_JarSigner]:
    """Every entry outside META-INF/ must be listed, signed by the same signers, and match."""
    budget = max(INFLATE_BUDGET_FLOOR, INFLATE_BUDGET_RATIO * src.size)
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
                for chunk in entry_chunks(src, entry, zs.cd_offset):
                    hasher.update(chunk)
        except ZipFormatError as exc:
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

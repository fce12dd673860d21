"""Tests for gate.apk.apksig: agreement with `apksigner`, tampering, and hostile input.

Ground truth is a literal table recorded from the real `apksigner verify -v --print-certs`
(Debian apksigner 0.9), so the suite needs no Java. The corpus lives next to the project
(../shared/corpus); tests that need it skip cleanly when it is absent.
"""

from __future__ import annotations

import datetime
import hashlib
import random
import shutil
import struct
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.apk.apksig import SchemeResult, SignatureReport, SignerCert, verify_apk
from gate.apk.signature import v1 as _v1
from gate.apk.signature.v1 import parse_jar_manifest as _parse_manifest
from tests.zipcraft import zip_bytes

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "apks"

# --------------------------------------------------------------------------------------
# Ground truth recorded from apksigner
# --------------------------------------------------------------------------------------
#
# Columns: file (under shared/corpus) | overall `apksigner verify` verdict, which applies the
# APK's own minSdkVersion | schemes that verify when apksigner checks each one alone | schemes
# that are present but fail alone | signer certificate SHA-256 ("-" where apksigner printed none).
#
# "Alone" verdicts come from three runs per file, because apksigner skips v1 when v2/v3 exist
# and minSdk >= 24, and skips v2 when v3 exists and minSdk >= 28:
#   v1: apksigner verify -v --print-certs --min-sdk-version 18 --max-sdk-version 23 FILE
#   v2: apksigner verify -v --print-certs --min-sdk-version 24 --max-sdk-version 25 FILE
#   v3: apksigner verify -v --print-certs --min-sdk-version 28 FILE
# apksigner's "Missing META-INF/MANIFEST.MF" / "No JAR signatures" mean no v1 signature (absent).
# On files without AndroidManifest.xml (CertChain, multidex, robust-patch) and with a garbled one
# (bad-manifest) the plain run stops before verifying ("Missing AndroidManifest.xml", "Failed to
# determine APK's minimum supported platform version"); the per-scheme runs name the real errors:
# CertChain's MANIFEST.MF lists hundreds of entries the file lacks, bad-manifest's
# AndroidManifest.xml digest does not match (and its v2 block was stripped).
APKSIGNER_TABLE = """
apks/afinalstone-qile-live.apk                                    verifies v1,v2    -  5e2c83e97b9679599e5d95c66c30f9325c5ece825b444b80c9592662aedc07c6
apks/afinalstone-shellapplication-signer.apk                      verifies v1,v2,v3 -  81273f217fec091711fcca6a78687c5966a568981b5f49c2d78b7299c61b3e74
apks/agentweb-sample.apk                                          verifies v1,v2    -  eeae68b2cac05023d7db8261bbf22124cac2faec0139914f6cf0c40d37911f28
apks/amap-location-service-demo.apk                               verifies v1,v2    -  90f99eeed2e2793bb8841f2bb718de39c043102e7d4da92c59902a3f61aec90e
apks/amap-path-record-demo.apk                                    verifies v1       -  90f99eeed2e2793bb8841f2bb718de39c043102e7d4da92c59902a3f61aec90e
apks/androguard-AndroidManifest_ShortName.apk                     fails    -        -  -
apks/androguard-Invalid.apk                                       verifies v1       -  e4926d665f0fbdcfd302d6a6aed4e1c9d8faf8906724054285c33d96e29030e8
apks/androguard-TestActivity.apk                                  verifies v1       -  6f5c31608f1f9e285eb6343c7c8af07de81c1fb2148b5349bec906444144576d
apks/androguard-TestActivity_unsigned.apk                         fails    -        -  -
apks/androguard-a2dp.Vol_137.apk                                  verifies v1       -  1e3bf46f964d494c9094cbf1a7ebec99b63d4acf6ae7519287d94faf5ea6871b
apks/androguard-app-prod-debug.apk                                verifies v1,v2    -  5e29b0ae637411e251bd8deb235d4fa812e7ab79a6a69f3ea0b7324bdca6a390
apks/androguard-com.example.android.wearable.wear.weardrawers.apk verifies v1,v2    -  78e6faaa502b1c2c9194a2162ae7719b14e08e7865b709c2354c2dfdee8aa9e2
apks/androguard-com.politedroid_4.apk                             verifies v1       -  32a23624c201b949f085996ba5ed53d40f703aca4989476949cae891022e0ed6
apks/androguard-com.teleca.jamendo_35.apk                         verifies v1       -  ebd3cc3f8c36a4503838b0610103c8b919245c3ee2c4600f6646502e3875a4ac
apks/androguard-compact-entry.apk                                 fails    -        -  -
apks/androguard-duplicate.permisssions_9999999.apk                verifies v1       -  f49af3f11efddf20dffd70f5e3117b9976674167adca280e6b1932a0601b26f6
apks/androguard-partialsignature.apk                              verifies v1       -  1e3bf46f964d494c9094cbf1a7ebec99b63d4acf6ae7519287d94faf5ea6871b
apks/apkid-dexguard-6.1.apk                                       verifies v1       -  ba8b5d4422fd229a94dc6a83c0cecd619d28025f5b2f0c5aebdfb160c0bbbaa7
apks/apkid-dexguard1.apk                                          verifies v1       -  d207441274132f3dd7ba8900152732ed2a0bcf8c400e5ef0f13a2ffa1fea91b2
apks/arouter-demo-1.5.2.apk                                       fails    v2       -  5ad55788afb81e0b58dbe9c0ca37438df345f5478028cbc266619e333e5bf3b1
apks/bmob-login-demo.apk                                          verifies v1,v2    -  6de33f46ab362c9e3b47a3810d7817d3dccf3fc88ae63f6ed71bd5ae0e328ede
apks/bugly-hotfix-demo.apk                                        verifies v1,v2    -  d6c4b774f049d176bffb779436167d17a56c077df36a5a2ce728a7068c7ff121
apks/exodus-blooddonation.apk                                     verifies v1,v2    -  1947b382c1ad9b3978c98a59d1f6fb67d5c04b199ff46dd403c8154c28e4df48
apks/exodus-instapaper.apk                                        verifies v1       -  910307c754887cc9d9c4f7c189ae750a0a415b6895467185644c4cb6a67aebca
apks/game2048-legu-packed.apk                                     verifies v1       -  19af6eb22cd3692bb0b50de9a7d20954eb1e68410fa352dbb87c813c6a211bb0
apks/game2048-unpacked.apk                                        verifies v1       -  19af6eb22cd3692bb0b50de9a7d20954eb1e68410fa352dbb87c813c6a211bb0
apks/hotfixdemo-classloader.apk                                   verifies v1,v2    -  692fc239792ec5bc5f3298faa739905d35ccbbee60580c50422afb649641cdce
apks/injuredandroid.apk                                           verifies v1,v2    -  8db7b76e758f02c1482171fa2364b3fd1fe6fb0085dd33f8ad93523a68c50742
apks/insecurebankv2.apk                                           verifies v1       -  8092db81ae717486631a1534977def465ee112903e1553d38d41df8abd57a375
apks/jpush-hbuilder-hello.apk                                     verifies v1       -  2f7c181cd15b49c0271b8772457dc3f46a3f652d036f295351e3ec512a87976a
apks/juzinovel-legu-packed.apk                                    verifies v1       -  c14bcbb32448027ef8a909e5caae78ae8da8781b162d6de800abfd19760439bd
apks/juzinovel-unpacked.apk                                       verifies v1,v2    -  c14bcbb32448027ef8a909e5caae78ae8da8781b162d6de800abfd19760439bd
apks/lionu-attribution-sdk-demo.apk                               verifies v1,v2    -  56fd31d42c8e3fe846ae672908ed86aa4e95e7316d7fccdbc1520844d8d05e1a
apks/minimalpoem-legu-packed.apk                                  verifies v1       -  e20f554444ec84801c073767b8e8abdad452e17fa4f67fd9e28d21d139fb23d3
apks/minimalpoem-unpacked.apk                                     verifies v1,v2    -  e20f554444ec84801c073767b8e8abdad452e17fa4f67fd9e28d21d139fb23d3
apks/mob-moblink-demo-2.0.5.apk                                   verifies v1,v2    -  ad7d095d668c394c6132c3476b5456212dab5235ff4e6b1f8fd3d0e1494ec96b
apks/mob-sharerec-systemrecorder-demo.apk                         verifies v1       -  ad7d095d668c394c6132c3476b5456212dab5235ff4e6b1f8fd3d0e1494ec96b
apks/mob-sharesdk-sample-2.0.1-2013.apk                           verifies v1       -  ad7d095d668c394c6132c3476b5456212dab5235ff4e6b1f8fd3d0e1494ec96b
apks/mob-sharesdk-samplefresh.apk                                 verifies v1,v2    -  ad7d095d668c394c6132c3476b5456212dab5235ff4e6b1f8fd3d0e1494ec96b
apks/mob-smssdk-sample-2.0.1.apk                                  verifies v1       -  ad7d095d668c394c6132c3476b5456212dab5235ff4e6b1f8fd3d0e1494ec96b
apks/mob-smssdk-sample-3.3.0.apk                                  verifies v1,v2    -  ad7d095d668c394c6132c3476b5456212dab5235ff4e6b1f8fd3d0e1494ec96b
apks/mobpush-demo.apk                                             verifies v1,v2    -  ad7d095d668c394c6132c3476b5456212dab5235ff4e6b1f8fd3d0e1494ec96b
apks/oaid-msa-demo.apk                                            verifies v1,v2    -  a4626c648030a86c0eaa12b3596edf107f02ea9101617e87b9edeb65b17e9dc1
apks/owasp-r2pay-v0.9.apk                                         verifies v1,v2    -  bb7d0b182551e422153cf5bdb729dbd03b93623d742559c47d23bc5ce7b1a315
apks/owasp-uncrackable-level1.apk                                 verifies v1,v2    -  cbe68ab87d64341c3fc78119dc1229e8aa86f93fdb2c33aa61252fd491485b1d
apks/owasp-uncrackable-level2.apk                                 verifies v1,v2    -  cbe68ab87d64341c3fc78119dc1229e8aa86f93fdb2c33aa61252fd491485b1d
apks/owasp-uncrackable-level3.apk                                 verifies v1       -  9e783c18fc0fbc14863a280fc8c2b83a445287e32a2519e24c9b6f8d8147146f
apks/pivaa.apk                                                    verifies v1,v2    -  918b23e3bf7c966db1906bd25d0deaeb42ed8ef76ad609a79c90c7f59ac8dcfd
apks/replugin-demo3-plugin.apk                                    fails    -        -  -
apks/robust-sample-release.apk                                    verifies v1       -  6fecab0e2338bb68514b686662159f17a21cb0df93ab7dd416c18a4d6de49840
apks/sensorsdata-demo-release.apk                                 verifies v1,v2    -  9f3fcf5723f3a82ef23d611cd186707f1a3fe13fd0915f3697dc5b1c4bb4e065
apks/shadow-plugin-manager-debug.apk                              verifies v2       -  5a7924a8fdaa7b2c5cb0422fe9abc6cd9d10923b8d05934a1f7972f3e3168834
apks/superads-standalone-demo.apk                                 verifies v1,v2    -  8a1e4419f8a1651a4e5fec69a1c0d2082029885b4a9a9516c88c135a912d8bc2
apks/zjjiagu-diy-packed-signed.apk                                fails    v1       -  a2e27ae902694375ff96081583660a5c11ebfbb0027e3beaf74036f28da85db2
large/fat-multidex.apk                                            verifies v1,v2,v3 -  57ce8ee377ee1f40b1a25780761cc806f5c8c45e0fad5ef81cc1c9bab31b0c96
malformed/androguard-CertChain.apk                                fails    -        v1 -
malformed/androguard-multidex.apk                                 fails    -        -  -
malformed/bad-manifest-owasp-uncrackable1.apk                     fails    -        v1 -
malformed/corrupt-eocd-and-cd-oaid-demo.apk                       fails    -        -  -
malformed/robust-patch.apk                                        fails    -        -  -
malformed/truncated-60pct-mobpush-demo.apk                        fails    -        -  -
"""  # noqa: E501

# Where our overall verdict differs from apksigner's, and why. Both are policy differences
# that depend on the app's minSdkVersion, which this module deliberately does not judge; the
# signatures themselves verify with apksigner too when it checks them alone.
POLICY_DIFFERENCES = {
    # minSdk 14 and only a v2 signature: apksigner fails it because devices before Android 7.0
    # (API 24) need a v1 signature ("Missing META-INF/MANIFEST.MF"). The v2 signature verifies.
    "apks/arouter-demo-1.5.2.apk",
    # minSdk 15: apksigner rejects SHA256withRSA JAR signatures for API 15-17 ("not supported on
    # API Level(s) 15-17"); with --min-sdk-version 18 apksigner verifies the same signature.
    "apks/zjjiagu-diy-packed-signed.apk",
}


def _schemes(column: str) -> frozenset[str]:
    return frozenset() if column == "-" else frozenset(column.split(","))


def _table() -> dict[str, tuple[bool, frozenset[str], frozenset[str], str | None]]:
    rows = {}
    for line in APKSIGNER_TABLE.strip().splitlines():
        name, verdict, verified, failing, cert = line.split()
        rows[name] = (
            verdict == "verifies",
            _schemes(verified),
            _schemes(failing),
            None if cert == "-" else cert,
        )
    return rows


GROUND_TRUTH = _table()


def corpus_file(relative: str) -> Path:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"corpus not available ({path})")
    return path


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(GROUND_TRUTH))
def test_agrees_with_apksigner(relative: str) -> None:
    overall, verified_alone, failing_alone, cert = GROUND_TRUTH[relative]
    report = verify_apk(corpus_file(relative))
    assert {s.scheme for s in report.schemes if s.verified} == verified_alone, report
    assert {s.scheme for s in report.schemes if not s.verified} == failing_alone, report
    if cert is not None:
        assert report.certificates[0].sha256 == cert
    if relative not in POLICY_DIFFERENCES:
        assert report.verified == overall, report


def test_ground_truth_table_is_complete() -> None:
    if not CORPUS.is_dir():
        pytest.skip("corpus not available")
    on_disk = {
        str(p.relative_to(CORPUS))
        for folder in ("apks", "malformed")
        for p in (CORPUS / folder).glob("*.apk")
    }
    assert on_disk | {"large/fat-multidex.apk"} == set(GROUND_TRUTH)


@pytest.mark.corpus
def test_corpus_details() -> None:
    """Spot checks of what the report says beyond the verdicts."""
    report = verify_apk(corpus_file("malformed/bad-manifest-owasp-uncrackable1.apk"))
    v1 = report.scheme("v1")
    assert v1 is not None
    assert "META-INF/MANIFEST.MF digest of AndroidManifest.xml does not match" in v1.problems
    assert any("stripped" in p for p in v1.problems)  # X-Android-APK-Signed: 2, but no v2 block

    report = verify_apk(corpus_file("malformed/corrupt-eocd-and-cd-oaid-demo.apk"))
    assert not report.signed and report.problems[0].startswith("not a zip file")

    report = verify_apk(corpus_file("apks/amap-location-service-demo.apk"))
    assert report.verified and report.certificates[0].is_debug
    assert report.certificates[0].subject == "CN=Android Debug,O=Android,C=US"

    report = verify_apk(corpus_file("large/fat-multidex.apk"))
    v3 = report.scheme("v3")
    assert v3 is not None and v3.sdk_ranges and report.certificates == v3.certificates
    assert "CN=genuine-dev" in report.certificates[0].subject


# --------------------------------------------------------------------------------------
# Tampering (derived from corpus files)
# --------------------------------------------------------------------------------------


def _rewrite(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    """Copy an APK entry by entry (dropping its signing block), replacing some contents."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, replace.get(info.filename, src.read(info)))
    return target


def _eocd(data: bytes | bytearray) -> int:
    return data.rfind(b"PK\x05\x06")


def _cd_offset(data: bytes | bytearray) -> int:
    offset: int = struct.unpack_from("<I", data, _eocd(data) + 16)[0]
    return offset


@pytest.mark.corpus
def test_changed_entry_fails_v1(tmp_path: Path) -> None:
    source = corpus_file("apks/androguard-com.politedroid_4.apk")
    tampered = _rewrite(source, tmp_path / "t.apk", {"res/xml/preferences.xml": b"<evil/>"})
    v1 = verify_apk(tampered).scheme("v1")
    assert v1 is not None and not v1.verified
    assert "META-INF/MANIFEST.MF digest of res/xml/preferences.xml does not match" in v1.problems


@pytest.mark.corpus
def test_added_entry_fails_v1(tmp_path: Path) -> None:
    source = corpus_file("apks/androguard-com.politedroid_4.apk")
    tampered = _rewrite(source, tmp_path / "t.apk", {})
    with zipfile.ZipFile(tampered, "a") as archive:
        archive.writestr("assets/payload.bin", b"\x00" * 100)
    v1 = verify_apk(tampered).scheme("v1")
    assert v1 is not None and not v1.verified
    assert "assets/payload.bin is not listed in META-INF/MANIFEST.MF" in v1.problems


@pytest.mark.corpus
def test_changed_central_directory_fails_v2_and_v3_not_v1(tmp_path: Path) -> None:
    data = bytearray(corpus_file("apks/afinalstone-shellapplication-signer.apk").read_bytes())
    data[_cd_offset(data) + 4] ^= 0x01  # "version made by" of the first record: harmless to the zip
    path = tmp_path / "t.apk"
    path.write_bytes(data)
    report = verify_apk(path)
    assert [(s.scheme, s.verified) for s in report.schemes] == [("v1", True), ("v2", False), ("v3", False)]
    assert "signer #1: APK content digest (sha256) does not match" in report.schemes[1].problems


@pytest.mark.corpus
def test_stripped_v2_block_fails_v1(tmp_path: Path) -> None:
    source = corpus_file("apks/owasp-uncrackable-level1.apk")
    stripped = _rewrite(source, tmp_path / "t.apk", {})  # same entries, no APK Signing Block
    report = verify_apk(stripped)
    assert [s.scheme for s in report.schemes] == ["v1"]
    assert not report.verified
    assert any("signed with v2" in p and "stripped" in p for p in report.schemes[0].problems)


def _cd_record(data: bytes | bytearray, name: bytes) -> int:
    """Offset of the central directory record of entry ``name``."""
    position = _cd_offset(data)
    while data[position : position + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, position + 28)
        if data[position + 46 : position + 46 + name_len] == name:
            return position
        position += 46 + name_len + extra_len + comment_len
    raise AssertionError(f"{name!r} not in the central directory")


@pytest.mark.corpus
def test_lying_uncompressed_size_is_reported(tmp_path: Path) -> None:
    data = bytearray(corpus_file("apks/androguard-com.politedroid_4.apk").read_bytes())
    record = _cd_record(data, b"res/xml/preferences.xml")
    struct.pack_into("<I", data, record + 24, 10)  # declared uncompressed size: 10 bytes
    path = tmp_path / "t.apk"
    path.write_bytes(data)
    v1 = verify_apk(path).scheme("v1")
    assert v1 is not None and not v1.verified
    assert any("res/xml/preferences.xml" in p and "declared" in p for p in v1.problems)


# --------------------------------------------------------------------------------------
# Fixtures built by the project (tests/fixtures/apks), when present
# --------------------------------------------------------------------------------------


def fixture(name: str) -> Path:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"fixture {name} not built")
    return path


def test_fixture_clean_verifies() -> None:
    report = verify_apk(fixture("clean.apk"))
    assert report.signed and report.verified, report
    assert not report.certificates[0].is_debug


def test_fixture_tampered_v1_does_not_verify() -> None:
    report = verify_apk(fixture("tampered-v1.apk"))
    assert report.signed and not report.verified
    v1 = report.scheme("v1")
    assert v1 is not None and "META-INF/MANIFEST.MF digest of assets/notes.txt does not match" in v1.problems


def test_fixture_tampered_v2_does_not_verify() -> None:
    report = verify_apk(fixture("tampered-v2.apk"))
    assert report.signed and not report.verified
    v2 = report.scheme("v2")
    assert v2 is not None and not v2.verified


def test_fixture_unsigned_is_not_signed() -> None:
    report = verify_apk(fixture("unsigned.apk"))
    assert not report.signed and not report.verified and report.certificates == ()


def test_fixture_debug_certificate() -> None:
    report = verify_apk(fixture("debug-cert.apk"))
    assert report.verified
    assert report.certificates and all(cert.is_debug for cert in report.certificates)


# --------------------------------------------------------------------------------------
# Hostile input: never raise, always report (no corpus needed)
# --------------------------------------------------------------------------------------

_MAGIC = b"APK Sig Block 42"
_V2, _V3, _V31 = 0x7109871A, 0xF05368C0, 0x1B93AD61


def _pair(block_id: int, value: bytes) -> bytes:
    return struct.pack("<QI", len(value) + 4, block_id) + value


def _with_signing_block(
    apk: bytes, pairs: bytes, header: int | None = None, footer: int | None = None
) -> bytes:
    """Insert an APK Signing Block before the central directory and fix the EOCD offset."""
    size = len(pairs) + 24
    block = struct.pack("<Q", size if header is None else header) + pairs
    block += struct.pack("<Q", size if footer is None else footer) + _MAGIC
    cd = _cd_offset(apk)
    out = bytearray(apk[:cd] + block + apk[cd:])
    struct.pack_into("<I", out, _eocd(out) + 16, cd + len(block))
    return bytes(out)


def _prefixed(*parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack("<I", len(body)) + body


def _check(tmp_path: Path, data: bytes, name: str = "hostile.apk") -> SignatureReport:
    path = tmp_path / name
    path.write_bytes(data)
    report = verify_apk(path)
    assert isinstance(report, SignatureReport)
    for scheme in report.schemes:
        assert scheme.verified == (not scheme.problems)
    return report


BASE = zip_bytes({"AndroidManifest.xml": b"\x03\x00" * 50, "classes.dex": b"dex\n035\x00" + bytes(200)})


@pytest.mark.parametrize("size", [0, 1, 21, 22, 100, 4096, 70_000])
@pytest.mark.parametrize("seed", [1, 2])
def test_random_bytes(tmp_path: Path, size: int, seed: int) -> None:
    data = random.Random(seed).randbytes(size)
    report = _check(tmp_path, data)
    assert not report.signed and report.problems


def test_random_bytes_with_fake_eocd(tmp_path: Path) -> None:
    rng = random.Random(7)
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 65535, 65535, 0xFFFFFFF0, 0xFFFFFFF0, 0)
    report = _check(tmp_path, rng.randbytes(5000) + eocd)
    assert not report.signed


def test_missing_file_is_a_problem(tmp_path: Path) -> None:
    report = verify_apk(tmp_path / "nope.apk")
    assert not report.signed and report.problems[0].startswith("cannot read APK")


def test_directory_is_a_problem(tmp_path: Path) -> None:
    report = verify_apk(tmp_path)
    assert not report.signed and report.problems


def test_unsigned_zip_is_not_signed(tmp_path: Path) -> None:
    report = _check(tmp_path, BASE)
    assert not report.signed and not report.problems


@pytest.mark.parametrize("seed", range(6))
def test_garbage_signing_block(tmp_path: Path, seed: int) -> None:
    garbage = random.Random(seed).randbytes(64 + 97 * seed)
    _check(tmp_path, _with_signing_block(BASE, garbage))


@pytest.mark.parametrize("block_id", [_V2, _V3, _V31])
@pytest.mark.parametrize("seed", range(4))
def test_garbage_scheme_block(tmp_path: Path, block_id: int, seed: int) -> None:
    value = random.Random(seed).randbytes(8 + 50 * seed)
    report = _check(tmp_path, _with_signing_block(BASE, _pair(block_id, value)))
    assert report.signed and not report.verified


@pytest.mark.parametrize(
    "value",
    [
        b"",
        struct.pack("<I", 0xFFFFFFFF),  # signers length far beyond the block
        _prefixed(),  # no signers
        _prefixed(struct.pack("<I", 0x7FFFFFFF)),  # signer length beyond the block
        _prefixed(_prefixed(_prefixed(), _prefixed(), _prefixed())),  # empty signed data and signatures
        _prefixed(
            _prefixed(_prefixed(b"x"), _prefixed(_prefixed(struct.pack("<I", 0x0103) + _prefixed(b"s"))))
        ),
        _prefixed(_prefixed(b"\xff" * 40)),
    ],
)
@pytest.mark.parametrize("block_id", [_V2, _V3])
def test_malformed_signer_structures(tmp_path: Path, value: bytes, block_id: int) -> None:
    report = _check(tmp_path, _with_signing_block(BASE, _pair(block_id, value)))
    assert report.signed and not report.verified


@pytest.mark.parametrize(
    ("header", "footer"),
    [
        (2**63, 2**63),  # declared size far beyond the file
        (2**40, 2**40),
        (10**6, 10**6),  # beyond the file, but a plausible number
        (30, 40),  # header and footer disagree
        (8, 8),  # smaller than the block's own footer
    ],
)
def test_signing_block_sizes_exceed_file(tmp_path: Path, header: int, footer: int) -> None:
    report = _check(tmp_path, _with_signing_block(BASE, _pair(_V2, b"\x00" * 16), header, footer))
    assert not report.signed and report.problems


def test_pair_length_exceeds_block(tmp_path: Path) -> None:
    pairs = struct.pack("<QI", 2**62, _V2) + b"\x00" * 20
    report = _check(tmp_path, _with_signing_block(BASE, pairs))
    assert not report.signed and any("out-of-range size" in p for p in report.problems)


def test_huge_pair_count(tmp_path: Path) -> None:
    pairs = _pair(0x42726577, b"") * 20_000  # 20k tiny (padding) pairs: bounded by the block size
    report = _check(tmp_path, _with_signing_block(BASE, pairs))
    assert not report.signed and not report.problems


@pytest.mark.parametrize(
    "entries",
    [
        {
            "META-INF/CERT.RSA": b"\x30\x82\xff\xff garbage",
            "META-INF/CERT.SF": b"x",
            "META-INF/MANIFEST.MF": b"",
        },
        {
            "META-INF/CERT.RSA": random.Random(3).randbytes(300),
            "META-INF/CERT.SF": b"Signature-Version: 1.0\r\n",
        },
        {"META-INF/CERT.EC": b"", "META-INF/MANIFEST.MF": b"Name: a\n\n" * 1000},
        {"META-INF/CERT.SF": b"Signature-Version: 1.0\n", "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n"},
    ],
)
def test_garbage_jar_signature(tmp_path: Path, entries: dict[str, bytes]) -> None:
    report = _check(tmp_path, zip_bytes({**entries, "classes.dex": b"dex"}))
    v1 = report.scheme("v1")
    assert v1 is not None and not v1.verified and v1.problems


@pytest.mark.parametrize(
    ("count", "size", "offset"),
    [(65535, 10, 0), (3, 2**31, 0), (3, 46 * 3, 2**31), (0, 0, 0), (65535, 0, 0)],
)
def test_lying_end_of_central_directory(tmp_path: Path, count: int, size: int, offset: int) -> None:
    data = bytearray(BASE)
    struct.pack_into("<HHII", data, _eocd(data) + 8, count, count, size, offset)
    _check(tmp_path, bytes(data))


def _truncations(length: int) -> list[int]:
    return sorted({0, 1, 22, 100, length // 3, length // 2, length - 23, length - 22, length - 1})


def test_truncated_synthetic_signed_zip(tmp_path: Path) -> None:
    signer = _prefixed(_prefixed(_prefixed(), _prefixed(), _prefixed()), _prefixed(), _prefixed(b"key"))
    data = _with_signing_block(BASE, _pair(_V2, _prefixed(signer)))
    for length in _truncations(len(data)):
        _check(tmp_path, data[:length], f"t{length}.apk")


@pytest.mark.corpus
@pytest.mark.parametrize(
    "relative", ["apks/owasp-uncrackable-level1.apk", "apks/afinalstone-shellapplication-signer.apk"]
)
def test_truncated_corpus_apk(tmp_path: Path, relative: str) -> None:
    data = corpus_file(relative).read_bytes()
    for length in _truncations(len(data)):
        report = _check(tmp_path, data[:length], f"t{length}.apk")
        assert not report.verified


@pytest.mark.corpus
def test_random_byte_flips_never_raise(tmp_path: Path) -> None:
    data = corpus_file("apks/owasp-uncrackable-level1.apk").read_bytes()
    rng = random.Random(1234)
    cd = _cd_offset(data)
    for round_number in range(60):
        mutated = bytearray(data)
        # aim at the structures: the signing block, the central directory and the EOCD
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(max(0, cd - 4096), len(mutated))
            mutated[position] = rng.randrange(256)
        _check(tmp_path, bytes(mutated), f"m{round_number}.apk")


# --------------------------------------------------------------------------------------
# Units: manifest parsing, certificates, report properties
# --------------------------------------------------------------------------------------


def test_manifest_continuations_and_line_endings() -> None:
    name = "res/drawable-xxhdpi-v4/a_rather_long_resource_file_name_that_needs_wrapping.png"
    wrapped = f"Name: {name}".encode()
    text = (
        b"Manifest-Version: 1.0\r\nCreated-By: test\r\n\r\n"
        + wrapped[:70]
        + b"\r\n "
        + wrapped[70:]
        + b"\r\nSHA-256-Digest: abc=\r\n\r\n"
        + b"Name: lf.txt\nSHA1-Digest: def=\n\nName: cr.txt\rSHA1-Digest: ghi="
    )
    main, wrapped_section, lf_section, cr_section = _parse_manifest(text)
    assert main.get("created-by") == "test"
    assert wrapped_section.name == name and wrapped_section.get("SHA-256-Digest") == "abc="
    assert text[wrapped_section.start : wrapped_section.end].endswith(b"abc=\r\n\r\n")
    assert lf_section.name == "lf.txt" and text[lf_section.start : lf_section.end].endswith(b"def=\n\n")
    assert cr_section.name == "cr.txt" and cr_section.end == len(text)


def _reference_sections(data: bytes) -> list[tuple[int, int, tuple[tuple[str, str], ...]]]:
    """The manifest grammar spelled out line by line with a regex (the parser's earlier form)."""
    import re

    sections, lines, section_start, position = [], [], 0, 0
    spans = []
    for match in re.finditer(rb"\r\n|\r|\n", data):
        spans.append((position, match.start(), match.end()))
        position = match.end()
    if position < len(data):
        spans.append((position, len(data), len(data)))
    for start, stop, next_start in spans:
        if stop > start:
            if not lines:
                section_start = start
            lines.append(data[start:stop])
        elif lines:
            sections.append((section_start, next_start, _v1.manifest_attributes(lines)))
            lines = []
    if lines:
        sections.append((section_start, len(data), _v1.manifest_attributes(lines)))
    return sections


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([b"Name: a", b"SHA-256-Digest: x=", b" continued", b"", b"\r", b"\n", b"\r\n",
                                 b"Key:value", b"\xff\xfe", b"  ", b"\x0b", b"\x1c", b"\x85"]), max_size=30))
def test_manifest_parser_matches_the_line_grammar(parts: list[bytes]) -> None:
    data = b"".join(parts)
    got = [(sec.start, sec.end, sec.attributes) for sec in _parse_manifest(data)]
    assert got == _reference_sections(data)
    for sec in _parse_manifest(data):
        for name, _ in sec.attributes:
            assert sec.get(name.upper()) == next(v for n, v in sec.attributes if n.lower() == name.lower())

def test_is_debug() -> None:
    def cert(subject: str) -> SignerCert:
        return SignerCert("00", subject, subject, b"")

    assert cert("CN=Android Debug,O=Android,C=US").is_debug
    assert cert("C=US,O=Android,CN=Android Debug").is_debug
    assert not cert("CN=Android Debug Key,O=Android,C=US").is_debug
    assert not cert("O=Evil\\,CN=Android Debug").is_debug


def test_certificates_prefer_newest_verified_scheme() -> None:
    def cert(name: str) -> SignerCert:
        return SignerCert(name, f"CN={name}", f"CN={name}", b"")

    v1 = SchemeResult("v1", True, (), (cert("old"),))
    v2 = SchemeResult("v2", True, (), (cert("v2"),))
    v3_broken = SchemeResult("v3", False, ("bad",), (cert("v3"),))
    assert SignatureReport((v1, v2, v3_broken), ()).certificates == (cert("v2"),)
    assert SignatureReport((v3_broken,), ()).certificates == (cert("v3"),)
    assert not SignatureReport((v1, v3_broken), ()).verified
    assert SignatureReport((), ()).certificates == ()


# --------------------------------------------------------------------------------------
# Speed
# --------------------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.slow
def test_large_apk_is_fast_enough() -> None:
    path = corpus_file("large/fat-multidex.apk")
    started = time.perf_counter()
    report = verify_apk(path)
    elapsed = time.perf_counter() - started
    assert report.verified
    assert elapsed < 10, f"{elapsed:.1f}s for {path.stat().st_size / 1e6:.0f} MB"


@pytest.mark.corpus
def test_copy_of_corpus_apk_verifies_from_any_path(tmp_path: Path) -> None:
    target = tmp_path / "copy with spaces.apk"
    shutil.copy(corpus_file("apks/owasp-uncrackable-level1.apk"), target)
    assert verify_apk(str(target)).verified


# --------------------------------------------------------------------------------------
# Synthetic v2/v3/v3.1 signatures, built here from the APK Signature Scheme spec to cover what the
# corpus lacks (ECDSA, RSA-PSS, DSA, SHA-512, v3.1, lineage, verity). The same builders, run over a
# base with a real AndroidManifest.xml, were checked once with the real apksigner, which verifies them.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    private: Any
    cert_der: bytes
    spki: bytes


def _make_key(kind: str, common_name: str) -> _Key:
    private: Any
    if kind == "rsa":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif kind == "ec":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = dsa.generate_private_key(key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(12345)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(private, hashes.SHA256())
    )
    spki = private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return _Key(private, cert.public_bytes(Encoding.DER), spki)


@pytest.fixture(scope="module")
def keys() -> dict[str, _Key]:
    return {
        "rsa": _make_key("rsa", "Synthetic RSA"),
        "ec": _make_key("ec", "Synthetic EC"),
        "dsa": _make_key("dsa", "Synthetic DSA"),
        "debug": _make_key("ec", "Android Debug"),
    }


def _chunked_digest(apk: bytes, algorithm: str) -> bytes:
    """Content digest of an unsigned APK (the signing block will go where the CD starts)."""
    cd, eocd = _cd_offset(apk), _eocd(apk)
    digests = []
    for start, end in ((0, cd), (cd, eocd), (eocd, len(apk))):
        for chunk_start in range(start, end, 1024 * 1024):
            chunk = apk[chunk_start : min(end, chunk_start + 1024 * 1024)]
            digests.append(hashlib.new(algorithm, b"\xa5" + struct.pack("<I", len(chunk)) + chunk).digest())
    return hashlib.new(algorithm, b"\x5a" + struct.pack("<I", len(digests)) + b"".join(digests)).digest()


def _sign(key: _Key, alg_id: int, data: bytes) -> bytes:
    sha = hashes.SHA512() if alg_id in (0x0102, 0x0104, 0x0202) else hashes.SHA256()
    if isinstance(key.private, rsa.RSAPrivateKey):
        salt = {0x0101: 32, 0x0102: 64}.get(alg_id)
        pad = padding.PSS(padding.MGF1(sha), salt) if salt else padding.PKCS1v15()
        return bytes(key.private.sign(data, pad, sha))
    if isinstance(key.private, ec.EllipticCurvePrivateKey):
        return bytes(key.private.sign(data, ec.ECDSA(sha)))
    return bytes(key.private.sign(data, sha))


def _signer(
    apk: bytes,
    key: _Key,
    alg_ids: tuple[int, ...],
    *,
    v3: bool,
    sdk: tuple[int, int] = (24, 0x7FFFFFFF),
    attributes: bytes = b"",
    digest_override: bytes | None = None,
) -> bytes:
    """One v2 or v3 signer record over ``apk`` (unsigned) per the APK Signature Scheme spec."""
    digests = b""
    for alg_id in alg_ids:
        content = "sha512" if alg_id in (0x0102, 0x0104, 0x0202) else "sha256"
        digest = digest_override or _chunked_digest(apk, content)
        digests += _prefixed(struct.pack("<I", alg_id) + _prefixed(digest))
    sdk_fields = struct.pack("<II", *sdk) if v3 else b""
    signed = _prefixed(digests) + _prefixed(_prefixed(key.cert_der)) + sdk_fields + _prefixed(attributes)
    signatures = b"".join(_prefixed(struct.pack("<I", a) + _prefixed(_sign(key, a, signed))) for a in alg_ids)
    return _prefixed(signed) + sdk_fields + _prefixed(signatures) + _prefixed(key.spki)


def _signed_apk(blocks: dict[int, list[bytes]]) -> bytes:
    pairs = b"".join(
        _pair(block_id, _prefixed(b"".join(_prefixed(signer) for signer in signers)))
        for block_id, signers in blocks.items()
    )
    return _with_signing_block(BASE, pairs)


@pytest.mark.parametrize(
    ("kind", "alg_ids"),
    [
        ("rsa", (0x0103,)),
        ("rsa", (0x0101, 0x0104)),
        ("rsa", (0x0102,)),
        ("ec", (0x0201,)),
        ("ec", (0x0202,)),
        ("dsa", (0x0301,)),
    ],
)
def test_synthetic_v2_v3_verify(
    tmp_path: Path, keys: dict[str, _Key], kind: str, alg_ids: tuple[int, ...]
) -> None:
    key = keys[kind]
    apk = _signed_apk(
        {_V2: [_signer(BASE, key, alg_ids, v3=False)], _V3: [_signer(BASE, key, alg_ids, v3=True)]}
    )
    report = _check(tmp_path, apk)
    assert [(s.scheme, s.verified) for s in report.schemes] == [("v2", True), ("v3", True)], report
    assert report.certificates[0].sha256 == hashlib.sha256(key.cert_der).hexdigest()
    assert report.certificates[0].subject == f"CN=Synthetic {kind.upper()}"
    assert report.scheme("v3") is not None and report.schemes[1].sdk_ranges == ((24, 0x7FFFFFFF),)


def test_synthetic_v31_rotation(tmp_path: Path, keys: dict[str, _Key]) -> None:
    old, new = keys["rsa"], keys["ec"]
    node = _prefixed(
        _prefixed(_prefixed(old.cert_der) + struct.pack("<I", 0x0103)) + bytes(8) + _prefixed(b"")
    )
    lineage = _prefixed(struct.pack("<II", 0x3BA06F8C, 1) + node)
    v31 = _signer(BASE, new, (0x0201,), v3=True, sdk=(33, 0x7FFFFFFF), attributes=lineage)
    v3 = _signer(BASE, old, (0x0103,), v3=True)
    report = _check(tmp_path, _signed_apk({_V3: [v3], _V31: [v31]}))
    assert report.verified, report
    assert report.certificates[0].subject == "CN=Synthetic EC"  # v3.1 wins
    v31_result = report.scheme("v3.1")
    assert v31_result is not None and [c.subject for c in v31_result.lineage] == ["CN=Synthetic RSA"]

    report = _check(tmp_path, _signed_apk({_V31: [v31]}), "only-v31.apk")
    assert report.schemes[0].problems == ("v3.1 signature block found without a v3 block",)


def test_synthetic_debug_key(tmp_path: Path, keys: dict[str, _Key]) -> None:
    report = _check(tmp_path, _signed_apk({_V2: [_signer(BASE, keys["debug"], (0x0201,), v3=False)]}))
    assert report.verified and report.certificates[0].is_debug


def test_synthetic_multiple_v3_signers(tmp_path: Path, keys: dict[str, _Key]) -> None:
    low = _signer(BASE, keys["rsa"], (0x0103,), v3=True, sdk=(24, 32))
    high = _signer(BASE, keys["ec"], (0x0201,), v3=True, sdk=(33, 0x7FFFFFFF))
    report = _check(tmp_path, _signed_apk({_V3: [low, high]}))
    assert report.verified and len(report.certificates) == 2
    overlap = _signer(BASE, keys["ec"], (0x0201,), v3=True, sdk=(30, 0x7FFFFFFF))
    report = _check(tmp_path, _signed_apk({_V3: [low, overlap]}), "overlap.apk")
    assert "signers' SDK ranges overlap or leave gaps" in report.schemes[0].problems


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("digest", "signer #1: APK content digest (sha256) does not match"),
        ("public-key", "signer #1: public key does not match the first certificate"),
        ("signature", "signer #1: ECDSA with SHA2-256: signature does not verify"),
        ("unknown-alg", "signer #1: no supported signature algorithms"),
        ("verity-only", "signer #1: no content digest that can be checked"),
        ("stripped-v3", "signer #1: APK claims a v3 signature but none was found (stripped?)"),
    ],
)
def test_synthetic_v2_failures(tmp_path: Path, keys: dict[str, _Key], case: str, expected: str) -> None:
    key = keys["ec"]
    if case == "digest":
        signer = _signer(BASE, key, (0x0201,), v3=False, digest_override=bytes(32))
    elif case == "public-key":
        other = keys["debug"]  # signs and names its own key, but carries the EC key's certificate
        signer = _signer(BASE, _Key(other.private, key.cert_der, other.spki), (0x0201,), v3=False)
    elif case == "signature":
        good = bytearray(_signer(BASE, key, (0x0201,), v3=False))
        good[40] ^= 0xFF  # inside the signed data
        signer = bytes(good)
    elif case == "unknown-alg":
        signer = _signer(BASE, key, (0x0999,), v3=False)
    elif case == "verity-only":
        signer = _signer(BASE, key, (0x0423,), v3=False)
    else:
        signer = _signer(
            BASE, key, (0x0201,), v3=False, attributes=_prefixed(struct.pack("<II", 0xBEEFF00D, 3))
        )
    report = _check(tmp_path, _signed_apk({_V2: [signer]}))
    assert not report.verified
    assert expected in report.schemes[0].problems, report


def test_synthetic_verity_digest_is_noted(tmp_path: Path, keys: dict[str, _Key]) -> None:
    signer = _signer(BASE, keys["ec"], (0x0201, 0x0423), v3=False)
    report = _check(tmp_path, _signed_apk({_V2: [signer]}))
    assert report.verified
    assert any("verity" in note for note in report.schemes[0].notes)


def test_synthetic_signature_flood_is_refused_quickly(tmp_path: Path, keys: dict[str, _Key]) -> None:
    key = keys["rsa"]
    signed = _prefixed(b"") + _prefixed(_prefixed(key.cert_der)) + _prefixed(b"")
    flood = _prefixed(struct.pack("<I", 0x0103) + _prefixed(bytes(256))) * 5000
    signer = _prefixed(signed) + _prefixed(flood) + _prefixed(key.spki)
    started = time.perf_counter()
    report = _check(tmp_path, _signed_apk({_V2: [signer]}))
    assert time.perf_counter() - started < 2
    assert report.schemes[0].problems == ("signer #1: 5000 signatures (expected 1 to 10)",)

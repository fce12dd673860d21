"""PKG-SIGNATURE: unsigned, not verifying, or debug-only signatures."""

from __future__ import annotations

import pytest

from tests.conftest import corpus_file, finding, rule_ids, scan_apk, scan_fixture


def test_unsigned() -> None:
    f = finding(scan_fixture("unsigned"), "PKG-SIGNATURE")
    assert "not signed" in f.message and str(f.outcome) == "block"


@pytest.mark.parametrize(("fixture", "scheme"), [("tampered-v1", "v1"), ("tampered-v2", "v2")])
def test_changed_after_signing(fixture: str, scheme: str) -> None:
    f = finding(scan_fixture(fixture), "PKG-SIGNATURE")
    assert "does not verify" in f.message
    assert any(e.value.startswith(f"{scheme}: ") for e in f.evidence)
    assert all("digest" in e.value for e in f.evidence)


def test_debug_certificate() -> None:
    verdict = scan_fixture("debug-cert")
    f = finding(verdict, "PKG-SIGNATURE")
    assert "debug certificate" in f.message
    assert f.evidence[0].value == "CN=Android Debug,O=Android,C=US"
    assert verdict.app.certificates[0].subject.startswith("CN=Android Debug")


def test_release_signed_apps_pass() -> None:
    verdict = scan_fixture("clean")
    assert "PKG-SIGNATURE" not in rule_ids(verdict)
    assert verdict.app.certificates[0].subject == "CN=Gate Fixture Release,O=Listing Gate Tests,C=CN"


def test_other_certificate_is_reported_in_the_app_block() -> None:
    a = scan_fixture("clean").app.certificates[0].sha256
    b = scan_fixture("clean-v2").app.certificates[0].sha256
    c = scan_fixture("clean-v3").app.certificates[0].sha256
    assert a == c != b


@pytest.mark.parametrize(
    ("name", "expected"),
    [("apks/androguard-TestActivity_unsigned.apk", "not signed"),
     ("apks/androguard-TestActivity.apk", "debug certificate"),
     ("apks/androguard-a2dp.Vol_137.apk", None),
     ("apks/afinalstone-shellapplication-signer.apk", None)],
)
def test_corpus(name: str, expected: str | None) -> None:
    verdict = scan_apk(corpus_file(name))
    if expected is None:
        assert "PKG-SIGNATURE" not in rule_ids(verdict)
    else:
        assert expected in finding(verdict, "PKG-SIGNATURE").message


def test_a_garbage_signing_block_next_to_a_valid_v1_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from gate.core import listing as listing_mod
    from gate.core import policy
    from gate.core.scan import scan
    from tests.conftest import LISTINGS, fixture_apk

    # old-target is signed v1+v2: keep its v1 files, break the APK Signing Block's magic
    data = bytearray(fixture_apk("old-target").read_bytes())
    magic = data.rfind(b"APK Sig Block 42")
    assert magic > 0
    data[magic: magic + 16] = b"NOT A SIG BLOCK!"
    broken = tmp_path / "broken-block.apk"
    broken.write_bytes(bytes(data))
    verdict = scan(broken, policy.load("cn-default"), listing_mod.load_file(LISTINGS / "complete.json"))
    messages = [f.message for f in verdict.findings if f.rule_id == "PKG-SIGNATURE"]
    assert messages, [f.rule_id for f in verdict.findings]
    # v1 says "X-Android-APK-Signed: 2": with the v2 block gone, stripping protection fails v1 too
    assert "does not verify" in messages[0] or "damaged APK Signing Block" in messages[0]


def test_aosp_public_test_key() -> None:
    verdict = scan_fixture("testkey-signed")
    f = finding(verdict, "PKG-SIGNATURE")
    assert str(f.outcome) == "block" and "public test key (AOSP testkey)" in f.message
    assert f.evidence[0].extra["certificate_sha256"] == \
        "a40da80a59d170caa950cf15c18c454d47a39b26989d8b640ecd745ba71bf5dc"
    assert "android.googlesource.com" in f.evidence[0].extra["source"]


def test_aosp_shared_key_is_told_from_testkey_by_its_digest() -> None:
    # shared.x509.pem has testkey's subject: only the certificate's digest says which published key signed
    shared = finding(scan_fixture("sharedkey-signed"), "PKG-SIGNATURE")
    testkey = finding(scan_fixture("testkey-signed"), "PKG-SIGNATURE")
    assert str(shared.outcome) == "block" and "public test key (AOSP shared)" in shared.message
    assert shared.evidence[0].value == testkey.evidence[0].value  # one subject
    assert shared.evidence[0].extra["certificate_sha256"] == \
        "28bbfe4a7b97e74681dc55c2fbb6ccb8d6c74963733f6af6ae74d8c3a6e879fd"
    assert shared.evidence[0].extra["public_key"] == "AOSP shared"
    assert "045a3d6a3e359633a14853a5a5e1e4f2a11cbdae" in shared.evidence[0].extra["source"]


def test_public_keys_data_digests_match_the_certificates() -> None:
    import base64
    import hashlib
    import json

    from tests.conftest import ROOT

    raw = json.loads((ROOT / "gate" / "data" / "public_keys.json").read_text(encoding="utf-8"))
    names = set()
    for key in raw["keys"]:
        der = base64.b64decode(key["certificate"])
        assert hashlib.sha256(der).hexdigest() == key["sha256"]
        assert hashlib.sha1(der).hexdigest() == key["sha1"] and hashlib.md5(der).hexdigest() == key["md5"]
        assert key["source"] and key["subject"]
        names.add(key["name"])
    assert {"AOSP testkey", "AOSP platform", "AOSP networkstack", "AOSP shared", "AOSP media", "AOSP bluetooth",
            "AOSP nfc", "AOSP sdk_sandbox", "AOSP cts_uicc_2021"} <= names
    assert len(names) == len({k["sha256"] for k in raw["keys"]}) == len(raw["keys"])  # no key listed twice

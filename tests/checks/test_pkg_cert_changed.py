import json

from gate.core import listing as listing_mod
from gate.core import policy
from gate.core.scan import scan
from tests.conftest import LISTINGS, finding, fixture_apk, rule_ids
from tests.history_source import ListHistory

CN = policy.load("cn-default")
LISTING = listing_mod.load_file(LISTINGS / "complete.json")


def test_a_new_certificate_on_a_known_package() -> None:
    history = ListHistory()
    first = scan(fixture_apk("clean"), CN, LISTING, history=history)
    assert "PKG-CERT-CHANGED" not in rule_ids(first)
    history.record("b1", first)
    other = scan(fixture_apk("clean-v2"), CN, LISTING, history=history)
    f = finding(other, "PKG-CERT-CHANGED")
    assert str(f.outcome) == "block" and f.evidence[0].kind == "history"
    assert first.app.certificates[0].sha256 in f.evidence[0].value


def test_the_same_key_again_is_fine() -> None:
    history = ListHistory()
    history.record("b1", scan(fixture_apk("clean"), CN, LISTING, history=history))
    assert "PKG-CERT-CHANGED" not in rule_ids(scan(fixture_apk("clean-v3"), CN, LISTING, history=history))


def test_blocked_versions_do_not_establish_a_certificate() -> None:
    history = ListHistory()
    history.record("b0", scan(fixture_apk("clean-v2"), CN, None, history=history))  # no listing: block
    assert "PKG-CERT-CHANGED" not in rule_ids(scan(fixture_apk("clean"), CN, LISTING, history=history))


def test_the_filed_certificate_fingerprint() -> None:
    data = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))
    signer = scan(fixture_apk("clean"), CN, LISTING).app.certificates[0].sha256
    data["filing_cert_sha256"] = ":".join(signer[i:i + 2].upper() for i in range(0, 64, 2))
    assert "PKG-CERT-CHANGED" not in rule_ids(scan(fixture_apk("clean"), CN, listing_mod.load(data)))
    f = finding(scan(fixture_apk("clean-v2"), CN, listing_mod.load(data)), "PKG-CERT-CHANGED")
    assert f.evidence[0].location == "listing.filing_cert_sha256"

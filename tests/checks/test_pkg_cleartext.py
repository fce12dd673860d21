from tests.conftest import corpus_file, finding, rule_ids, scan_apk, scan_fixture


def test_flags_uses_cleartext_traffic_true() -> None:
    f = finding(scan_fixture("cleartext"), "PKG-CLEARTEXT")
    assert str(f.outcome) == "info"
    assert [e.value for e in f.evidence] == ['android:usesCleartextTraffic="true"']


def test_flags_a_network_security_config_domain_that_allows_cleartext() -> None:
    f = finding(scan_fixture("cleartext-nsc"), "PKG-CLEARTEXT")
    values = [e.value for e in f.evidence]
    assert values == ["domain-config cleartextTrafficPermitted=true for legacy.example.cn"]
    assert f.evidence[0].location == "res/xml/network_security_config.xml"


def test_flags_the_default_of_old_targets() -> None:
    f = finding(scan_fixture("old-target"), "PKG-CLEARTEXT")
    assert "allowed by default for targetSdk 22" in f.evidence[0].value


def test_does_not_flag_an_app_that_forbids_cleartext() -> None:
    assert "PKG-CLEARTEXT" not in rule_ids(scan_fixture("clean"))
    # target 22 but usesCleartextTraffic="false" set explicitly
    assert "PKG-CLEARTEXT" not in rule_ids(scan_fixture("old-target-benign"))


def test_corpus_sensorsdata_targets_33_without_cleartext_flag() -> None:
    verdict = scan_apk(corpus_file("apks/sensorsdata-demo-release.apk"))
    assert verdict.app.target_sdk == 33

from tests.conftest import corpus_file, finding, rule_ids, scan_apk, scan_fixture


def test_flags_a_debuggable_build() -> None:
    f = finding(scan_fixture("debuggable"), "PKG-DEBUGGABLE")
    assert str(f.outcome) == "block"
    assert f.evidence[0].location == "AndroidManifest.xml <application>"


def test_does_not_flag_a_release_build() -> None:
    assert "PKG-DEBUGGABLE" not in rule_ids(scan_fixture("clean"))


def test_corpus_insecurebank_is_debuggable_and_a2dp_is_not() -> None:
    assert "PKG-DEBUGGABLE" in rule_ids(scan_apk(corpus_file("apks/insecurebankv2.apk")))
    assert "PKG-DEBUGGABLE" not in rule_ids(scan_apk(corpus_file("apks/androguard-a2dp.Vol_137.apk")))

from tests.conftest import finding, rule_ids, scan_fixture


def test_sdks_missing_from_policy_and_list() -> None:
    f = finding(scan_fixture("sdk-calls", "policy-denies"), "PI-SDK-UNDISCLOSED")
    ids = {e.sdk for e in f.evidence}
    assert any(i and i.startswith("umeng") for i in ids) and any(i and i.startswith("jpush") for i in ids)


def test_named_in_the_policy_in_chinese() -> None:
    assert "PI-SDK-UNDISCLOSED" not in rule_ids(scan_fixture("sdk-calls", "policy-discloses"))


def test_named_in_the_declared_sdk_list() -> None:
    assert "PI-SDK-UNDISCLOSED" not in rule_ids(scan_fixture("sdk-calls", "sdk-list"))


def test_apps_without_sdks() -> None:
    assert "PI-SDK-UNDISCLOSED" not in rule_ids(scan_fixture("clean", "complete"))

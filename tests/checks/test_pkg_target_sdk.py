from gate.core import policy
from gate.core.scan import scan
from tests.conftest import corpus_file, finding, fixture_apk, listing, rule_ids, scan_apk, scan_fixture


def test_flags_a_target_below_the_floor() -> None:
    f = finding(scan_fixture("old-target-benign"), "PKG-TARGET-SDK")
    assert "targetSdkVersion is 22" in f.message and "at least 30" in f.message
    assert f.evidence[0].extra["floor"] == 30


def test_does_not_flag_a_recent_target() -> None:
    assert "PKG-TARGET-SDK" not in rule_ids(scan_fixture("clean"))


def test_the_floor_is_the_rules_setting_a_policy_may_override() -> None:
    raised = policy.with_override(policy.load("cn-default"), {"settings": {"target_sdk_floor": 35}}, "store-a")
    verdict = scan(fixture_apk("clean"), raised, listing("complete"))
    assert "policy cn-default+store-a requires at least 35" in finding(verdict, "PKG-TARGET-SDK").message
    assert "PKG-TARGET-SDK" not in rule_ids(scan(fixture_apk("clean"), policy.load("cn-default"), listing("complete")))


def test_missing_target_falls_back_to_min_sdk() -> None:
    f = finding(scan_apk(corpus_file("apks/androguard-com.politedroid_4.apk")), "PKG-TARGET-SDK")
    assert "defaults to minSdkVersion (3)" in f.message

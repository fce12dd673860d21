from tests.conftest import finding, rule_ids, scan_fixture


def test_flags_dangerous_permissions_under_target_23() -> None:
    f = finding(scan_fixture("old-target"), "HAR-INSTALL-TIME-GRANT")
    assert {e.value for e in f.evidence} == {
        "android.permission.READ_CONTACTS", "android.permission.READ_PHONE_STATE",
        "android.permission.ACCESS_FINE_LOCATION"}


def test_old_target_without_dangerous_permissions_is_not_flagged() -> None:
    assert "HAR-INSTALL-TIME-GRANT" not in rule_ids(scan_fixture("old-target-benign"))


def test_runtime_permission_apps_are_not_flagged() -> None:
    assert "HAR-INSTALL-TIME-GRANT" not in rule_ids(scan_fixture("bg-location"))

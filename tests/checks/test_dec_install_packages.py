from tests.conftest import finding, rule_ids, scan_fixture


def test_flags_install_permission_outside_app_stores() -> None:
    f = finding(scan_fixture("install-packages"), "DEC-INSTALL-PACKAGES")
    assert "app type is news" in f.message
    assert f.evidence[0].value == "android.permission.REQUEST_INSTALL_PACKAGES"


def test_app_stores_may_install_packages() -> None:
    assert "DEC-INSTALL-PACKAGES" not in rule_ids(scan_fixture("app-store", "app-store"))


def test_unknown_type_is_said_not_guessed() -> None:
    f = finding(scan_fixture("install-packages", None), "DEC-INSTALL-PACKAGES")
    assert "app type is unknown" in f.message


def test_apps_without_the_permission_are_not_flagged() -> None:
    assert "DEC-INSTALL-PACKAGES" not in rule_ids(scan_fixture("clean"))


def test_package_installer_use_in_code() -> None:
    f = finding(scan_fixture("installer"), "DEC-INSTALL-PACKAGES")
    callers = {e.location for e in f.evidence}
    assert "Lcn/gate/fixture/installer/Updater;->installSession(Landroid/content/Context;)I" in callers
    assert "Lcn/gate/fixture/installer/Updater;->installIntent(Landroid/content/Context;Landroid/net/Uri;)V" in callers
    assert "place(s) in the code" in f.message

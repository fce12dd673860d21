from tests.conftest import finding, rule_ids, scan_fixture


def test_flags_exported_components_without_permission() -> None:
    f = finding(scan_fixture("exported"), "PKG-EXPORTED")
    names = {e.value: e.extra["exported"] for e in f.evidence}
    assert names == {
        "cn.gate.fixture.exported.ShareActivity": "implicit",
        "cn.gate.fixture.exported.OpenService": "explicit",
        "cn.gate.fixture.exported.OpenProvider": "explicit",
    }


def test_guarded_private_and_launcher_components_are_not_flagged() -> None:
    f = finding(scan_fixture("exported"), "PKG-EXPORTED")
    flagged = {e.value for e in f.evidence}
    assert not any(n.endswith(("GuardedReceiver", "PrivateProvider", "MainActivity")) for n in flagged)
    assert "PKG-EXPORTED" not in rule_ids(scan_fixture("clean"))

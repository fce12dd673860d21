from tests.conftest import finding, rule_ids, scan_fixture


def test_flags_background_location() -> None:
    f = finding(scan_fixture("bg-location"), "PI-BACKGROUND-LOCATION")
    assert str(f.outcome) == "warn"
    assert f.evidence[0].value == "android.permission.ACCESS_BACKGROUND_LOCATION"
    assert f.evidence[0].extra["category"] == "location"


def test_foreground_only_apps_are_not_flagged() -> None:
    assert "PI-BACKGROUND-LOCATION" not in rule_ids(scan_fixture("clean"))
    assert "PI-BACKGROUND-LOCATION" not in rule_ids(scan_fixture("old-target"))  # FINE location only

from tests.conftest import finding, rule_ids, scan_fixture


def test_a_utility_reading_contacts_location_and_device_ids_is_blocked() -> None:
    f = finding(scan_fixture("old-target", "type-utility_tools"), "PI-FORBIDDEN-DATA")
    assert str(f.outcome) == "block"
    assert {e.extra.get("category") for e in f.evidence if e.kind == "permission"} == \
        {"contacts", "device_id", "location", "phone"}
    assert "utility_tools" in f.evidence[0].value


def test_a_lending_app_reading_contacts() -> None:
    f = finding(scan_fixture("old-target", "type-online_lending"), "PI-FORBIDDEN-DATA")
    assert {e.extra.get("category") for e in f.evidence if e.kind == "permission"} == {"contacts"}


def test_call_sites_count_too() -> None:
    # sdk-calls has no contacts permission but reads device ids in code (Umeng SDK, the app's own MAC read)
    f = finding(scan_fixture("sdk-calls", "type-utility_tools"), "PI-FORBIDDEN-DATA")
    assert any(e.kind == "api" and e.extra.get("category") == "device_id" for e in f.evidence)


def test_allowed_types() -> None:
    assert "PI-FORBIDDEN-DATA" not in rule_ids(scan_fixture("old-target", "complete"))
    assert "PI-FORBIDDEN-DATA" not in rule_ids(scan_fixture("clean", "type-utility_tools"))

from tests.conftest import finding, rule_ids, scan_fixture

# old-target requests READ_CONTACTS, READ_PHONE_STATE (phone, device_id) and ACCESS_FINE_LOCATION


def test_news_apps_need_none_of_it() -> None:
    f = finding(scan_fixture("old-target", "complete"), "PI-UNNECESSARY-DATA")
    categories = {e.extra.get("category") for e in f.evidence if e.kind == "permission"}
    assert categories == {"contacts", "device_id", "location", "phone"}
    assert f.evidence[0].value.startswith("app type news")
    assert "News" in f.message or "news" in f.message


def test_a_map_app_needs_location() -> None:
    f = finding(scan_fixture("old-target", "type-map_navigation"), "PI-UNNECESSARY-DATA")
    categories = {e.extra.get("category") for e in f.evidence if e.kind == "permission"}
    assert "location" not in categories and "contacts" in categories


def test_forbidden_data_is_left_to_pi_forbidden_data() -> None:
    # every category it collects is forbidden for a utility: reported once, as forbidden
    verdict = scan_fixture("old-target", "type-utility_tools")
    assert "PI-UNNECESSARY-DATA" not in rule_ids(verdict) and "PI-FORBIDDEN-DATA" in rule_ids(verdict)


def test_type_other_and_clean_apps() -> None:
    assert "PI-UNNECESSARY-DATA" not in rule_ids(scan_fixture("old-target", "type-other"))
    assert "PI-UNNECESSARY-DATA" not in rule_ids(scan_fixture("clean", "complete"))


def test_no_listing() -> None:
    assert "No listing" in finding(scan_fixture("old-target", None), "PI-UNNECESSARY-DATA").message

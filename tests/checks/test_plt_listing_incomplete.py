from tests.conftest import finding, rule_ids, scan_fixture


def test_flags_missing_developer_and_type() -> None:
    f = finding(scan_fixture("clean", "incomplete"), "PLT-LISTING-INCOMPLETE")
    assert {e.location for e in f.evidence} == {"listing.developer.name", "listing.category"}


def test_flags_an_unknown_app_type() -> None:
    f = finding(scan_fixture("clean", "unknown-category"), "PLT-LISTING-INCOMPLETE")
    assert "unknown app type 'spaceship_sim'" in f.message


def test_no_listing_is_reported_not_guessed() -> None:
    assert "No listing" in finding(scan_fixture("clean", None), "PLT-LISTING-INCOMPLETE").message


def test_complete_listing_passes() -> None:
    assert "PLT-LISTING-INCOMPLETE" not in rule_ids(scan_fixture("clean", "complete"))
    assert "PLT-LISTING-INCOMPLETE" not in rule_ids(scan_fixture("app-store", "app-store"))

from tests.conftest import finding, rule_ids, scan_fixture


def test_below_plays_floor_under_the_google_play_pack() -> None:
    f = finding(scan_fixture("clean", policy="google-play"), "GP-TARGET-SDK")
    assert "requires at least 35" in f.message and str(f.outcome) == "block"


def test_off_in_cn_default() -> None:
    assert "GP-TARGET-SDK" not in rule_ids(scan_fixture("old-target"))

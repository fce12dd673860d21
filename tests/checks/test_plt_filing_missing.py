import pytest

from checks.plt_filing_missing import APP_FILING, normalise
from tests.conftest import finding, rule_ids, scan_fixture


@pytest.mark.parametrize("number", ["粤ICP备2021012345号-3A", "京ICP备12345678号-1A", "沪ICP备2023001234号-12A",
                                    " 浙ICP备2022012345号－2A ", "粤icp备2021012345号-3a"])
def test_app_filing_numbers_are_accepted(number: str) -> None:
    assert APP_FILING.match(normalise(number))


@pytest.mark.parametrize(
    ("number", "why"),
    [("粤ICP备2021012345号-3", "website filing"), ("粤ICP备2021012345号", "website filing"),
     ("京ICP证030173号", "telecom business licence"), ("ICP-12345", "not of the form"),
     ("XXICP备2021012345号-3A", "not of the form")],
)
def test_other_numbers_are_explained(number: str, why: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from gate.core import listing, policy
    from gate.core.scan import scan
    from tests.conftest import fixture_apk

    verdict = scan(fixture_apk("clean"), policy.load("cn-default"),
                   listing.load({"category": "news", "app_name": "a", "developer": {"name": "d"},
                                 "filing_number": number, "privacy_policy": {"text": "隐私政策"}}))
    assert why in finding(verdict, "PLT-FILING-MISSING").message


def test_listing_fixtures() -> None:
    assert "PLT-FILING-MISSING" in rule_ids(scan_fixture("clean", "bad-filing"))
    assert "no APP filing number" in finding(scan_fixture("clean", "no-filing"), "PLT-FILING-MISSING").message
    assert "No listing was supplied" in finding(scan_fixture("clean", None), "PLT-FILING-MISSING").message
    assert "PLT-FILING-MISSING" not in rule_ids(scan_fixture("clean", "complete"))

import json

from gate.core import listing as listing_mod
from gate.core import policy
from gate.core.scan import scan
from tests.conftest import LISTINGS, finding, fixture_apk, rule_ids

PLAY = policy.load("google-play")


def _listing(declarations: list[str]) -> listing_mod.Listing:
    data = json.loads((LISTINGS / "app-store.json").read_text(encoding="utf-8"))
    data["declarations"] = declarations
    return listing_mod.load(data)


def test_undeclared_restricted_permissions() -> None:
    f = finding(scan(fixture_apk("app-store"), PLAY, _listing([])), "GP-RESTRICTED-PERMISSION")
    assert {e.value for e in f.evidence} == {"android.permission.QUERY_ALL_PACKAGES",
                                            "android.permission.REQUEST_INSTALL_PACKAGES"}


def test_declared_ones_pass_by_short_or_full_name() -> None:
    declared = _listing(["QUERY_ALL_PACKAGES", "android.permission.REQUEST_INSTALL_PACKAGES"])
    assert "GP-RESTRICTED-PERMISSION" not in rule_ids(scan(fixture_apk("app-store"), PLAY, declared))


def test_unrestricted_apps() -> None:
    assert "GP-RESTRICTED-PERMISSION" not in rule_ids(scan(fixture_apk("clean"), PLAY, _listing([])))

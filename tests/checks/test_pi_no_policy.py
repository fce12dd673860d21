import pytest

from tests.conftest import finding, rule_ids, scan_fixture


@pytest.mark.parametrize(
    ("listing_name", "words"),
    [("no-policy", "carries no privacy policy"), ("empty-policy", "is empty"), (None, "No listing was supplied")],
)
def test_flags_missing_or_empty_policies(listing_name: str | None, words: str) -> None:
    f = finding(scan_fixture("clean", listing_name), "PI-NO-POLICY")
    assert words in f.message
    assert str(f.outcome) == "block"


def test_url_without_text_counts_as_unread(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from gate.core import listing, policy
    from gate.core.scan import scan
    from tests.conftest import LISTINGS, fixture_apk

    data = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))
    data["privacy_policy"] = {"url": "https://example.cn/privacy"}
    verdict = scan(fixture_apk("clean"), policy.load("cn-default"), listing.load(data))
    assert "carries no text" in finding(verdict, "PI-NO-POLICY").message


def test_a_listing_with_policy_text_passes() -> None:
    assert "PI-NO-POLICY" not in rule_ids(scan_fixture("clean", "complete"))

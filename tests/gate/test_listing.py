"""The listing schema: strict types, lenient presence (presence is a finding, not an error)."""

from __future__ import annotations

import pytest

from gate.core import listing


def test_complete_listing_loads_and_keeps_unknown_keys() -> None:
    got = listing.load({
        "category": "news", "app_name": "示例", "developer": {"name": "示例公司", "id": "D1"},
        "filing_number": "粤ICP备2021012345号-3A", "privacy_policy": {"url": "https://x.cn/p", "text": "政策"},
        "sdk_list": ["友盟"], "declarations": ["QUERY_ALL_PACKAGES"], "store_extra": {"a": 1},
    })
    assert got.developer is not None and got.developer.name == "示例公司"
    assert got.privacy_policy is not None and got.privacy_policy.text == "政策"
    assert got.sdk_list == ("友盟",)
    assert got.extra == {"store_extra": {"a": 1}}


def test_missing_fields_are_not_errors() -> None:
    got = listing.load({})
    assert got.category is None and got.developer is None and got.privacy_policy is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"category": 7}, "category"),
        ({"developer": {"name": ["a"]}}, "developer.name"),
        ({"developer": "acme"}, "developer"),
        ({"sdk_list": "umeng"}, "sdk_list"),
        ({"privacy_policy": {"text": 3}}, "privacy_policy.text"),
    ],
)
def test_wrong_types_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(listing.ListingError) as err:
        listing.load(data)
    assert field in err.value.errors
    assert field in str(err.value)


def test_not_an_object() -> None:
    with pytest.raises(listing.ListingError, match="JSON object"):
        listing.load(["a"])


def test_unreadable_files_give_plain_messages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    bad.write_text('{"category": "news",', encoding="utf-8")
    with pytest.raises(listing.ListingError, match=r"not valid JSON: .* line 1"):
        listing.load_file(bad)
    with pytest.raises(listing.ListingError, match="cannot read listing file"):
        listing.load_file(tmp_path / "missing.json")
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"app_name": "\xe9"}')
    with pytest.raises(listing.ListingError, match="not UTF-8"):
        listing.load_file(latin)

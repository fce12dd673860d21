"""gate.core.times: the one reader and writer of instants for reports, waivers and the JSON."""

from __future__ import annotations

import pytest

from gate.core.times import iso_utc, parse_instant


def test_a_date_is_its_utc_midnight_or_with_end_of_day_the_next_one() -> None:
    assert parse_instant("2027-06-30") == 1814313600.0
    assert parse_instant(" 2027-06-30 ", end_of_day=True) == 1814313600.0 + 86400


def test_times_are_utc_unless_they_name_an_offset() -> None:
    assert parse_instant("2027-06-30T08:00:00Z") == 1814313600.0 + 8 * 3600
    assert parse_instant("2027-06-30T08:00:00") == 1814313600.0 + 8 * 3600
    assert parse_instant("2027-06-30T08:00:00+08:00") == 1814313600.0
    # end_of_day moves only a bare date: a time is exact
    assert parse_instant("2027-06-30T08:00:00Z", end_of_day=True) == 1814313600.0 + 8 * 3600


@pytest.mark.parametrize("text", ["yesterday", "", "2027-13-01", "30/06/2027", "2027-06-30T25:00:00Z"])
def test_anything_else_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)


def test_iso_utc_writes_seconds_and_leaves_missing_times_missing() -> None:
    assert iso_utc(1814313600) == "2027-06-30T00:00:00Z"
    assert iso_utc(1814313600.9) == "2027-06-30T00:00:00Z"
    for missing in (None, 0, "1814313600", True):
        assert iso_utc(missing) is None
    assert iso_utc(parse_instant("2026-12-06T01:23:45Z")) == "2026-12-06T01:23:45Z"

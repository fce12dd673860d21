"""Instants as the gate writes and reads them: UNIX seconds inside, ISO 8601 UTC (``2026-12-06T01:23:45Z``)
outside. One writer and one reader, so a report's period, a waiver's expiry and every timestamp in the JSON
agree on what a date means."""

from __future__ import annotations

import calendar
import time
from datetime import datetime
from typing import Any

DAY_S = 86400


def iso_utc(ts: Any) -> str | None:
    """UNIX seconds as ``YYYY-MM-DDTHH:MM:SSZ``; None for a missing time (None, 0, or not a number)."""
    if isinstance(ts, bool) or not isinstance(ts, int | float) or not ts:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_instant(text: str, *, end_of_day: bool = False) -> float:
    """An ISO 8601 date (``2027-06-30``) or time (``2027-06-30T08:00:00Z``, ``...+08:00``) as UNIX seconds.

    A time without an offset is UTC. A bare date is the start of that day (UTC), or with ``end_of_day`` the
    start of the next one, so that a period ``to`` a date includes the whole of it. Raises ValueError for
    anything else; the caller says which field it was."""
    value = text.strip()
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    seconds = float(calendar.timegm(moment.timetuple())) if moment.tzinfo is None else moment.timestamp()
    if end_of_day and len(value) == len("YYYY-MM-DD"):
        seconds += DAY_S
    return seconds

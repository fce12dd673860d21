"""Limits and defaults, in one place, with their units.

The effective values come from the policy (``[limits]`` in a policy file); these are the defaults a
policy starts from. Sizes are bytes, times are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

MIB = 1024 * 1024  # bytes

# Element nesting of the binary AndroidManifest.xml, in levels. Real manifests nest 5 or 6; parsers slow down
# badly on thousands, so deeper is refused before decoding (PKG-UNREADABLE).
MAX_MANIFEST_DEPTH = 64


class LimitError(ValueError):
    """A bad limit value; ``key`` names the limit so callers can point at it."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Limits:
    # Upload size as received (compressed APK). Large commercial games reach a few hundred MB.
    max_apk_bytes: int = 512 * MIB
    # Entries in the ZIP central directory. Big apps carry ~10-20k; 50k leaves room, stops entry floods.
    max_entries: int = 50_000
    # Sum of declared uncompressed sizes. A 49 MB 63-dex app unpacks to ~180 MB.
    max_uncompressed_bytes: int = 2048 * MIB
    # Whole-archive ratio uncompressed/compressed. Real APKs sit between 1 and 5.
    max_total_ratio: float = 40.0
    # Per-entry ratio, only for entries above ``ratio_min_entry_bytes`` (tiny files compress well).
    max_entry_ratio: float = 200.0
    ratio_min_entry_bytes: int = 1 * MIB
    # Binary AndroidManifest.xml. Real manifests are tens to hundreds of KB.
    max_manifest_bytes: int = 4 * MIB
    # One dex file, uncompressed (the format's method limit keeps real ones under ~12 MB).
    max_dex_bytes: int = 64 * MIB
    # CPU seconds one check may use before the runner stops it (GATE-CHECK-FAILED).
    check_budget_s: float = 60.0

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Limits:
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise LimitError(unknown[0], f"unknown limit(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise LimitError(name, f"limit {name} must be a positive number, got {value!r}")
            values[name] = value
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

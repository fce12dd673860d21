"""Limits and defaults, in one place, with their units (as rq's ``defaults.py``).

Units are in the names or the comments: sizes are bytes, times are seconds, API levels are Android SDK
integers. Three kinds of value live here, and the modules that use them import them from here:

* the analysis limits (``Limits``), which a policy may override in its ``[limits]`` table;
* the policy settings' defaults (target SDK floors), which a policy may override in ``[settings]``;
* the service defaults (``gate.service.settings``, ``webhooks.inbound``, ``gate.service.queues``), which
  the environment may override (``GATE_*`` variables), and the reader's and reporters' fixed caps.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from gate.errors import GateError

MIB = 1024 * 1024  # bytes

# Element nesting of the binary AndroidManifest.xml, in levels. Real manifests nest 5 or 6; parsers slow down
# badly on thousands, so deeper is refused before decoding (PKG-UNREADABLE).
MAX_MANIFEST_DEPTH = 64

# -- policy settings (a policy's [settings] table overrides them) -------------------------------------------

# The lowest targetSdkVersion a Chinese store accepts (PKG-TARGET-SDK), an API level.
TARGET_SDK_FLOOR = 30
# The lowest targetSdkVersion Google Play accepts for new apps and updates (GP-TARGET-SDK), an API level.
PLAY_TARGET_SDK_FLOOR = 35

# -- reporting -----------------------------------------------------------------------------------------------

# Evidence items one finding carries; the rest are counted in one line.
MAX_EVIDENCE = 60

# -- service (environment variables GATE_* override them: gate.service.settings) ----------------------------

# Uploads larger than this are refused with 413 before they are read, in bytes (GATE_MAX_UPLOAD_BYTES).
MAX_UPLOAD_BYTES = 512 * MIB
# How far a webhook's timestamp may be from now, in seconds (GATE_WEBHOOK_TOLERANCE_S).
WEBHOOK_TOLERANCE_S = 300
# How long a webhook-id is remembered for redelivery, in seconds: 7 days, longer than any sender's retries.
WEBHOOK_DEDUPE_TTL_S = 7 * 24 * 3600
# How long a webhook-id stays claimed while its build is being stored, in seconds: a claim whose build never got
# stored (Redis or the process died in between) lapses after this, so the store's retry is accepted.
WEBHOOK_CLAIM_TTL_S = 30
# Whole time a client may take to send a request's line and headers, in seconds (the gunicorn worker class
# gate.web.gunicorn_worker.HeaderDeadlineWorker); slower clients are disconnected (GATE_HEADER_TIMEOUT_S).
HEADER_TIMEOUT_S = 10.0
# Hard limit on one analysis job, in seconds; RQ kills the work horse past it (GATE_JOB_TIMEOUT_S).
JOB_TIMEOUT_S = 600
# Worker heartbeat while a job runs, in seconds; a build whose worker stays silent 4x this long is reaped.
JOB_HEARTBEAT_S = 5
# Address-space cap of one analysis job (the forked work horse), in bytes; 0 disables it.
JOB_MEMORY_BYTES = 4 * 1024 * MIB
# Callback delivery: one attempt's timeout, and the waits between retries, in seconds (at least 24 hours in
# all: here ~32 h over 12 retries). A 410 Gone stops the retries.
CALLBACK_TIMEOUT_S = 10.0
CALLBACK_RETRY_INTERVALS_S = (5, 15, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 28800, 28800)
# Fetching an APK from the store's artifact URL, in seconds.
ARTIFACT_TIMEOUT_S = 60.0
# Whole time a client may take to send a webhook body, in seconds (512 MB at 2 MB/s); slower senders get 408.
BODY_TIMEOUT_S = 300.0
# Webhooks accepted per tenant per minute; more answer 429 (0 disables the limit).
RATE_LIMIT_PER_MINUTE = 600
# A webhook's multipart metadata part and boundaries, on top of the APK, in bytes.
MULTIPART_OVERHEAD_BYTES = 1 * MIB
# A JSON webhook body (an artifact URL and the listing, no APK), in bytes.
MAX_JSON_BODY_BYTES = 4 * MIB
# How long RQ keeps a finished job's result, and a failed job, in seconds.
JOB_RESULT_TTL_S = 24 * 3600
JOB_FAILURE_TTL_S = 7 * 24 * 3600

# -- the review pages (/review) --------------------------------------------------------------------------------

# A reviewer's session ends after this long without a request, in seconds (kept in Redis with this TTL).
REVIEW_SESSION_IDLE_S = 8 * 3600
# Failed sign-ins counted over this window, in seconds; past either limit the sign-in answers 429 until the
# window since the first failure ends: per account name (guessing one password) and per client address
# (trying many names).
REVIEW_LOGIN_WINDOW_S = 15 * 60
REVIEW_LOGIN_FAILURES_PER_NAME = 5
REVIEW_LOGIN_FAILURES_PER_ADDRESS = 20


class LimitError(GateError, ValueError):
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

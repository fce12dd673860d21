"""Every error the gate raises on purpose derives from `GateError`, so a caller can tell the gate's own,
explained refusals (a bad listing, a policy that does not load, an APK over a limit) from a bug.

The subclasses live beside the code that raises them and stay importable from there:
``gate.core.context.IntakeError``, ``gate.defaults.LimitError``, ``gate.core.policy.PolicyError``,
``gate.core.listing.ListingError``, ``gate.record.store.StoreError``, ``gate.service.artifact.ArtifactError``,
``gate.service.webhook_signing.SignatureError``, ``gate.apk.dex.DexError``, ``gate.apk.axml.AxmlError``,
``workers.jobs.CallbackFailed``; those that were ``ValueError``s remain ``ValueError``s too.
"""

from __future__ import annotations


class GateError(Exception):
    """An error the gate raises on purpose, with a message fit to show the person who caused it."""


class UsageError(GateError):
    """The command line was used wrongly or its input cannot be read: ``gate`` exits 3."""


class ConfigError(GateError):
    """The service is not configured to do what was asked (no REDIS_URL, no redis-server to embed)."""

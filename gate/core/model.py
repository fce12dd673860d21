"""Pure value types of the gate: outcomes, evidence, findings, verdicts.

Nothing here does I/O or knows about Flask, Redis or RQ. Every type round-trips to plain data
(``to_dict``) in the shape of the verdict contract (interface.md section 2).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

EVIDENCE_KINDS = frozenset(
    {"permission", "api", "sdk", "manifest", "file", "listing", "history", "call_chain", "reflection", "command",
     "native"}
)


class Outcome(enum.IntEnum):
    """What a finding means for the listing, ordered so that ``max()`` gives the verdict."""

    INFO = 0
    WARN = 1
    BLOCK = 2

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Outcome:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown outcome {text!r} (expected info, warn or block)") from None


def verdict_word(outcome: Outcome | None) -> str:
    """The verdict for the highest outcome: ``pass`` when nothing rises above ``info``."""
    if outcome is None or outcome is Outcome.INFO:
        return "pass"
    return str(outcome)


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: what was seen (``value``) and where (``location``)."""

    kind: str
    value: str
    location: str | None = None
    sdk: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in EVIDENCE_KINDS:
            raise ValueError(f"unknown evidence kind {self.kind!r}")
        if not isinstance(self.value, str):
            raise TypeError("evidence value must be text")
        clash = {"kind", "value", "location", "sdk"} & set(self.extra)
        if clash:
            raise ValueError(f"evidence extra must not redefine {sorted(clash)}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "location": self.location, "sdk": self.sdk, **self.extra}


@dataclass(frozen=True)
class Finding:
    """What a check reports. The policy later gives it an outcome; the catalogue its title."""

    rule_id: str
    message: str
    evidence: tuple[Evidence, ...] = ()
    remediation: str | None = None
    # Set by the policy; a check may propose a floor (e.g. PLT-RECURRENCE escalates with the count).
    outcome: Outcome | None = None
    title: str | None = None
    references: tuple[str, ...] = ()
    check: str | None = None
    # The same message and fix in Chinese, for the zh-CN verdict page and Chinese-reading pipelines.
    message_zh: str | None = None
    remediation_zh: str | None = None
    # Set by the policy for a rule under evaluation: shown (as info) but never raising the verdict.
    shadow: bool = False
    # Set by gate.core.waivers for a finding the store waived (now info): the waiver and the outcome it had.
    waiver: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if not self.rule_id or not self.message:
            raise ValueError("a finding needs a rule id and a message")
        object.__setattr__(self, "evidence", tuple(self.evidence))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "outcome": str(self.outcome) if self.outcome is not None else None,
            "title": self.title,
            "message": self.message,
            "references": list(self.references),
            "evidence": [e.to_dict() for e in self.evidence],
            "remediation": self.remediation,
            "message_zh": self.message_zh,
            "remediation_zh": self.remediation_zh,
            **({"shadow": True} if self.shadow else {}),
            **({"waiver": dict(self.waiver)} if self.waiver is not None else {}),
        }


# The value of the one evidence item of a listing rule's finding when no listing came with the build
# (checks/_base.listing_missing), whose extra "not_checked" names what could not be checked. Presenters say
# "no listing" once for all such findings instead of once per rule.
NO_LISTING = "(no listing)"


def not_checked(finding: Finding) -> str | None:
    """What a listing rule could not check for want of a listing ("the privacy policy"), else None."""
    if len(finding.evidence) == 1:
        e = finding.evidence[0]
        if e.kind == "listing" and e.value == NO_LISTING and isinstance(e.extra.get("not_checked"), str):
            return str(e.extra["not_checked"])
    return None


@dataclass(frozen=True)
class Certificate:
    sha256: str
    subject: str

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "subject": self.subject}


@dataclass(frozen=True)
class AppInfo:
    """What the gate could read of the app; fields stay ``None`` when the APK is unreadable."""

    sha256: str
    size: int
    package: str | None = None
    version_code: int | None = None
    version_name: str | None = None
    min_sdk: int | None = None
    target_sdk: int | None = None
    certificates: tuple[Certificate, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "version_code": self.version_code,
            "version_name": self.version_name,
            "min_sdk": self.min_sdk,
            "target_sdk": self.target_sdk,
            "sha256": self.sha256,
            "size": self.size,
            "certificates": [c.to_dict() for c in self.certificates],
        }


@dataclass(frozen=True)
class CheckRun:
    """How one check went: for operators and the benchmark, not for the verdict itself."""

    check: str
    status: str  # "ok" | "failed" | "timeout" | "skipped"
    ms: int

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "status": self.status, "ms": self.ms}


@dataclass(frozen=True)
class Verdict:
    app: AppInfo
    findings: tuple[Finding, ...]
    policy_name: str
    policy_version: str
    gate_version: str
    analysis_ms: int
    sdks: tuple[Mapping[str, Any], ...] = ()
    checks: tuple[CheckRun, ...] = ()
    diff: Mapping[str, Any] | None = None

    @property
    def outcome(self) -> Outcome | None:
        decided = [f.outcome for f in self.findings if f.outcome is not None]
        return max(decided) if decided else None

    @property
    def verdict(self) -> str:
        return verdict_word(self.outcome)

    def findings_at(self, outcome: Outcome) -> list[Finding]:
        return [f for f in self.findings if f.outcome is outcome]

    def to_dict(self) -> dict[str, Any]:
        # Written by hand, held to gate.service.schemas by tests/service/test_openapi.py. A marshmallow dump
        # would drop the evidence extras no schema declares (381 items in fat-multidex's verdict), write
        # "shadow": false on every finding, take 2.6 ms there against 0.2 ms, and import marshmallow into a
        # listing-less `gate scan`; and the core may not import the service layer the schemas live in.
        counts = {str(o): len(self.findings_at(o)) for o in Outcome}
        return {
            "verdict": self.verdict,
            "app": self.app.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "sdks": [dict(s) for s in self.sdks],
            "policy": {"name": self.policy_name, "version": self.policy_version},
            "gate_version": self.gate_version,
            "analysis_ms": self.analysis_ms,
            "summary": counts,
            "checks": [c.to_dict() for c in self.checks],
            **({"diff": dict(self.diff)} if self.diff is not None else {}),
        }


def highest(findings: Iterable[Finding]) -> Outcome | None:
    outcomes = [f.outcome for f in findings if f.outcome is not None]
    return max(outcomes) if outcomes else None

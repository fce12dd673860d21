"""Waivers applied to a decided verdict: a finding a store's reviewer has accepted turns into ``info``.

A pure step over the verdict document (interface.md section 2 and 8): the caller (the service, reading the
record) passes the waivers that are active for this tenant and this package or developer; this module only
matches them to findings and rewrites the document. A waiver matches a finding when its ``rule_id`` is the
finding's and, when it has an ``evidence_match``, that text is the finding's evidence key
(``RULE:digest``, as in gate.core.history) or appears in one of its evidence values or locations. The waived
finding keeps everything and gains ``waiver`` (id, reason, author, how the author was identified, expires_at, and
the outcome it had), so the verdict and the page show what was accepted, by whom and until when; the verdict word
and the summary are computed again from the new outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gate.core.history import finding_key
from gate.core.model import Outcome, verdict_word
from gate.core.times import iso_utc

WAIVED = ("warn", "block")


def matches(waiver: Mapping[str, Any], finding: Mapping[str, Any]) -> bool:
    """Whether ``waiver`` applies to ``finding``: its rule, and its evidence match when it has one (the
    finding's key, or a substring of an evidence value or location; a call chain is evidence whose value is the
    chain). The one rule for the verdict and for the review desk's page."""
    if waiver.get("rule_id") != finding.get("rule_id"):
        return False
    needle = waiver.get("evidence_match")
    if not needle:
        return True
    if needle == finding_key(finding):
        return True
    for e in finding.get("evidence") or []:
        if isinstance(e, Mapping) and any(isinstance(v, str) and needle in v
                                          for v in (e.get("value"), e.get("location"))):
            return True
    return False


def apply(verdict: Mapping[str, Any], waivers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The verdict with every warn or block finding a waiver matches turned into ``info`` (the first matching
    waiver, by id, is named). Without a match the document comes back unchanged (a copy)."""
    out = dict(verdict)
    if not waivers:
        return out
    ordered = sorted(waivers, key=lambda w: w.get("id") or 0)
    findings: list[dict[str, Any]] = []
    changed = False
    for f in verdict.get("findings") or []:
        finding = dict(f)
        if finding.get("outcome") in WAIVED and not finding.get("waiver"):
            waiver = next((w for w in ordered if matches(w, finding)), None)
            if waiver is not None:
                finding["waiver"] = {"id": waiver.get("id"), "reason": waiver.get("reason"),
                                     "author": waiver.get("author"),
                                     "author_identified_by": waiver.get("author_identified_by"),
                                     "expires_at": iso_utc(waiver.get("expires_at")), "outcome": finding["outcome"]}
                finding["outcome"] = "info"
                changed = True
        findings.append(finding)
    if not changed:
        return out
    out["findings"] = findings
    outcomes = [Outcome.parse(f["outcome"]) for f in findings if f.get("outcome")]
    out["verdict"] = verdict_word(max(outcomes) if outcomes else None)
    out["summary"] = {str(o): sum(1 for f in findings if f.get("outcome") == str(o)) for o in Outcome}
    return out

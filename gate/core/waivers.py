"""Waivers applied to a decided verdict: a finding a store's reviewer has accepted turns into ``info``.

A pure step over the verdict (interface.md section 2 and 8): the caller (the service's worker, or
`gate scan --history`, reading the record) passes the waivers that are active for this tenant and this package
or developer (``store_waivers``, from the store's history); this module only matches them to findings and
rewrites the verdict (``apply_to_verdict``) or its document (``apply``). A waiver matches a finding when its
``rule_id`` is the finding's and, when it has an ``evidence_match``, that text is the finding's evidence key
(``RULE:digest``, as in gate.core.history) or appears in one of its evidence values or locations. The waived
finding keeps everything and gains ``waiver`` (id, reason, author, how the author was identified, expires_at, and
the outcome it had), so the verdict and the page show what was accepted, by whom and until when; the verdict word
and the summary are computed again from the new outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gate.core.history import History, finding_key
from gate.core.model import Outcome, Verdict, verdict_word
from gate.core.times import iso_utc

if TYPE_CHECKING:  # the listing module loads marshmallow: a listing-less `gate scan` does without it
    from gate.core.listing import Listing

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


def store_waivers(history: History | None, package: str | None, listing: Listing | None) -> list[dict[str, Any]]:
    """The store's active waivers for this package or the listing's developer (its id, else its name), from its
    history: the one lookup behind PLT-RECURRENCE (a waived finding is no recurring problem), the service's
    worker and `gate scan --history` (both apply them to the verdict with ``apply_to_verdict``)."""
    developer = None
    if listing is not None and listing.developer is not None:
        developer = listing.developer.id or listing.developer.name
    if history is None or not (package or developer):
        return []
    return history.waivers(package or "", developer)


def _ordered(waivers: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(waivers, key=lambda w: w.get("id") or 0)


def covering(ordered: Sequence[Mapping[str, Any]], finding: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first waiver (in ``ordered``'s order: by id) that turns this finding (its document) into info: a warn
    or block one, not waived already. None when no waiver covers it."""
    if finding.get("outcome") not in WAIVED or finding.get("waiver"):
        return None
    return next((w for w in ordered if matches(w, finding)), None)


def _reference(waiver: Mapping[str, Any], outcome: str) -> dict[str, Any]:
    """What a waived finding carries as ``waiver``: which waiver, why, by whom, until when, what it was."""
    return {"id": waiver.get("id"), "reason": waiver.get("reason"), "author": waiver.get("author"),
            "author_identified_by": waiver.get("author_identified_by"),
            "expires_at": iso_utc(waiver.get("expires_at")), "outcome": outcome}


def apply_to_verdict(verdict: Verdict, waivers: Sequence[Mapping[str, Any]]) -> Verdict:
    """``apply`` for the verdict before it is a document: every warn or block finding a waiver matches turns into
    ``info`` with its ``waiver``; the verdict word and the summary follow from the outcomes, so every rendering of
    it (JSON, text, SARIF) and the exit status say the same. Without a match the same verdict comes back."""
    if not waivers:
        return verdict
    ordered = _ordered(waivers)
    findings = []
    changed = False
    for f in verdict.findings:
        waiver = covering(ordered, f.to_dict()) if f.waiver is None else None
        if waiver is not None and f.outcome is not None:
            f = replace(f, outcome=Outcome.INFO, waiver=_reference(waiver, str(f.outcome)))
            changed = True
        findings.append(f)
    return replace(verdict, findings=tuple(findings)) if changed else verdict


def apply(verdict: Mapping[str, Any], waivers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The verdict document with every warn or block finding a waiver matches turned into ``info`` (the first
    matching waiver, by id, is named), as ``apply_to_verdict`` does before the verdict is a document. Without a
    match the document comes back unchanged (a copy)."""
    out = dict(verdict)
    if not waivers:
        return out
    ordered = _ordered(waivers)
    findings: list[dict[str, Any]] = []
    changed = False
    for f in verdict.get("findings") or []:
        finding = dict(f)
        waiver = covering(ordered, finding)
        if waiver is not None:
            finding["waiver"] = _reference(waiver, finding["outcome"])
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

"""How a verdict looks: JSON (the contract), plain text for a terminal, SARIF 2.1.0 for CI tools.

Presentation lives here and nowhere else; the model holds plain data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, TextIO

from gate import __version__
from gate.core import reference
from gate.core.model import Finding, Outcome, Verdict, not_checked

_SARIF_LEVEL = {Outcome.BLOCK: "error", Outcome.WARN: "warning", Outcome.INFO: "note"}
_HEADLINE = {
    "pass": "PASS: nothing stands in the way of listing this build",
    "warn": "WARN: this build can be listed only after the warnings below are reviewed",
    "block": "BLOCK: this build must not be listed until the blocking findings are fixed",
}


def to_json(verdict: Verdict) -> str:
    return json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2)


def use_colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def _evidence_line(e: dict[str, Any]) -> str:
    line = f"{e['kind']}: {e['value']}"
    if e.get("location"):
        line += f"  @ {e['location']}"
    if e.get("sdk"):
        line += f"  [sdk: {e['sdk']}]"
    return line


def to_text(verdict: Verdict, *, colour: bool = False, max_evidence: int = 12) -> str:
    paint = {"block": "\033[1;31m", "warn": "\033[1;33m", "pass": "\033[1;32m", "info": "\033[36m"}
    reset = "\033[0m"

    def c(word: str, text: str) -> str:
        return f"{paint[word]}{text}{reset}" if colour else text

    app = verdict.app
    lines = [c(verdict.verdict, _HEADLINE[verdict.verdict]), ""]
    name = app.package or "(package unknown)"
    version = f" {app.version_name} ({app.version_code})" if app.version_code is not None else ""
    lines.append(f"App:     {name}{version}")
    if app.target_sdk is not None:
        lines.append(f"SDK:     min {app.min_sdk}, target {app.target_sdk}")
    lines.append(f"File:    sha256 {app.sha256}, {app.size:,} bytes")
    for cert in app.certificates:
        lines.append(f"Signer:  {cert.subject} (sha256 {cert.sha256})")
    lines.append(f"Policy:  {verdict.policy_name} ({verdict.policy_version}), gate {verdict.gate_version}, "
                 f"{verdict.analysis_ms} ms")
    unchecked = [f for f in verdict.findings if not_checked(f) is not None]
    if unchecked:
        # said once here, not once per listing rule below
        lines.append(f"Listing: none was supplied, so {len(unchecked)} rule(s) that read it could not be checked "
                     "and are reported as findings (give the listing: gate scan --listing FILE)")
    for outcome in (Outcome.BLOCK, Outcome.WARN, Outcome.INFO):
        group = verdict.findings_at(outcome)
        if not group:
            continue
        lines += ["", c(str(outcome), f"{str(outcome).upper()} ({len(group)})")]
        for finding in group:
            lines += _finding_lines(finding, max_evidence)
    if not verdict.findings:
        lines += ["", "No findings."]
    return "\n".join(lines) + "\n"


def _finding_lines(finding: Finding, max_evidence: int) -> list[str]:
    refs = f"  [{', '.join(finding.references)}]" if finding.references else ""
    if (what := not_checked(finding)) is not None:
        return [f"  {finding.rule_id}: {finding.title}{refs}", f"    Not checked without a listing: {what}."]
    lines = [f"  {finding.rule_id}: {finding.title}{refs}", f"    {finding.message}"]
    evidence = [e.to_dict() for e in finding.evidence]
    for e in evidence[:max_evidence]:
        lines.append(f"    - {_evidence_line(e)}")
    if len(evidence) > max_evidence:
        lines.append(f"    - ... and {len(evidence) - max_evidence} more (see --format json)")
    if finding.waiver is not None:
        lines.append(f"    {_waived(finding.waiver)}")
    if finding.remediation and finding.outcome is not Outcome.INFO:
        fix = " ".join(finding.remediation.split())
        lines.append(f"    Fix: {fix}")
    return lines


_NAMED = {"review_session": "signed in on the review pages", "store_token": "named by the store with its API token"}


def _waived(waiver: Mapping[str, Any]) -> str:
    """The line a finding the store waived gets: why, by whom (and how they were identified), until when, was."""
    who = str(waiver.get("author"))
    if waiver.get("author_identified_by") in _NAMED:
        who += f" ({_NAMED[str(waiver['author_identified_by'])]})"
    until = waiver.get("expires_at") or "no expiry"
    return (f"Waived by the store: {waiver.get('reason')} (by {who}, until {until}; was {waiver.get('outcome')}, "
            f"waiver #{waiver.get('id')})")


def to_sarif(verdict: Verdict, artifact_uri: str) -> str:
    rules = reference.rules()
    used = list(dict.fromkeys(f.rule_id for f in verdict.findings))
    index = {rule_id: i for i, rule_id in enumerate(used)}
    driver_rules = []
    for rule_id in used:
        rule = rules.get(rule_id)
        first = next(f for f in verdict.findings if f.rule_id == rule_id)
        entry: dict[str, Any] = {
            "id": rule_id,
            "name": rule_id.replace("-", ""),
            "shortDescription": {"text": rule.title if rule else rule_id},
            "fullDescription": {"text": rule.fires_when if rule else rule_id},
            "defaultConfiguration": {"level": _SARIF_LEVEL[first.outcome or Outcome.INFO]},
            "properties": {"tags": [rule.family if rule else "GATE"],
                           "references": list(rule.references) if rule else []},
        }
        if first.remediation:
            entry["help"] = {"text": " ".join(first.remediation.split())}
        driver_rules.append(entry)
    results = []
    for finding in verdict.findings:
        evidence = [e.to_dict() for e in finding.evidence]
        places = dict.fromkeys((e["location"], e["kind"]) for e in evidence if e.get("location"))  # SARIF: unique
        logical = [{"fullyQualifiedName": where, "kind": kind} for where, kind in places]
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": artifact_uri, "index": 0}}}
        if logical:
            location["logicalLocations"] = logical[:20]
        # a finding the store waived: SARIF's own word for it, a suppression the store accepted, besides "note"
        suppressed = ({"suppressions": [{"kind": "external", "status": "accepted",
                                         "justification": str(finding.waiver.get("reason") or "")}]}
                      if finding.waiver is not None else {})
        results.append({
            **suppressed,
            "ruleId": finding.rule_id,
            "ruleIndex": index[finding.rule_id],
            "level": _SARIF_LEVEL[finding.outcome or Outcome.INFO],
            "message": {"text": finding.message},
            "locations": [location],
            "properties": {"outcome": str(finding.outcome), "evidence": evidence,
                           "references": list(finding.references),
                           **({"waiver": dict(finding.waiver)} if finding.waiver is not None else {})},
        })
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "listing-gate", "version": __version__,
                                "semanticVersion": __version__, "rules": driver_rules}},
            "artifacts": [{"location": {"uri": artifact_uri}, "length": verdict.app.size,
                           "hashes": {"sha-256": verdict.app.sha256}}],
            "results": results,
            "properties": {"verdict": verdict.verdict, "package": verdict.app.package,
                           "policy": {"name": verdict.policy_name, "version": verdict.policy_version}},
        }],
    }
    return json.dumps(sarif, ensure_ascii=False, indent=2)

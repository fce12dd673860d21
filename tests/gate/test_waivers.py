"""gate.core.waivers: the pure step that turns waived findings into info on a verdict document."""

from __future__ import annotations

from typing import Any

from gate.core import waivers
from gate.core.history import finding_key


def _finding(rule: str, outcome: str, value: str, location: str | None = None) -> dict[str, Any]:
    return {"rule_id": rule, "outcome": outcome, "title": rule, "message": "m", "references": [],
            "evidence": [{"kind": "component", "value": value, "location": location, "sdk": None}],
            "remediation": None}


def _verdict(*findings: dict[str, Any]) -> dict[str, Any]:
    return {"verdict": "block", "findings": list(findings), "summary": {"info": 0, "warn": 1, "block": 1}}


WAIVER = {"id": 7, "rule_id": "HAR-SELF-START", "evidence_match": None, "reason": "push", "author": "ana",
          "expires_at": 1_800_000_000.0}


def test_a_matching_waiver_turns_the_finding_into_info_and_the_verdict_is_recomputed() -> None:
    doc = _verdict(_finding("HAR-SELF-START", "warn", "com.x.BootReceiver"),
                   _finding("PKG-DEBUGGABLE", "block", "android:debuggable"))
    out = waivers.apply(doc, [WAIVER])
    assert out["findings"][0]["outcome"] == "info"
    assert out["findings"][0]["waiver"] == {"id": 7, "reason": "push", "author": "ana",
                                            "author_identified_by": None,  # a waiver from before 0005 says nothing
                                            "expires_at": "2027-01-15T08:00:00Z", "outcome": "warn"}
    named = waivers.apply(doc, [{**WAIVER, "author_identified_by": "store_token"}])
    assert named["findings"][0]["waiver"]["author_identified_by"] == "store_token"
    assert out["verdict"] == "block" and out["summary"] == {"info": 1, "warn": 0, "block": 1}
    only = waivers.apply(_verdict(_finding("HAR-SELF-START", "warn", "a")), [WAIVER])
    assert only["verdict"] == "pass"
    assert doc["findings"][0]["outcome"] == "warn", "the input document is left as it was"


def test_evidence_match_by_text_or_finding_key_and_other_rules_untouched() -> None:
    finding = _finding("HAR-SELF-START", "warn", "com.x.BootReceiver", "AndroidManifest.xml")
    miss = {**WAIVER, "evidence_match": "com.y."}
    assert waivers.apply(_verdict(finding), [miss])["findings"][0]["outcome"] == "warn"
    for needle in ("com.x.Boot", "AndroidManifest", finding_key(finding)):
        hit = waivers.apply(_verdict(finding), [{**WAIVER, "evidence_match": needle}])
        assert hit["findings"][0]["outcome"] == "info", needle
    other_rule = {**WAIVER, "rule_id": "PKG-DEBUGGABLE"}
    assert waivers.apply(_verdict(finding), [other_rule])["findings"][0]["outcome"] == "warn"
    info = _finding("HAR-SELF-START", "info", "x")
    assert "waiver" not in waivers.apply(_verdict(info), [WAIVER])["findings"][0]  # nothing to waive


def test_the_first_waiver_by_id_is_named_and_no_waivers_change_nothing() -> None:
    doc = _verdict(_finding("HAR-SELF-START", "warn", "a"))
    out = waivers.apply(doc, [{**WAIVER, "id": 9, "reason": "later"}, {**WAIVER, "id": 3, "reason": "first",
                                                                       "expires_at": None}])
    assert out["findings"][0]["waiver"]["id"] == 3 and out["findings"][0]["waiver"]["expires_at"] is None
    assert waivers.apply(doc, []) == doc


def test_the_verdict_and_its_document_are_waived_alike() -> None:
    """apply_to_verdict (the worker and `gate scan --history`) and apply (a document) say the same."""
    from tests.conftest import scan_fixture

    verdict = scan_fixture("self-start")
    warned = next(f for f in verdict.findings if str(f.outcome) == "warn")
    waiver = {**WAIVER, "rule_id": warned.rule_id, "author_identified_by": "review_session"}
    waived = waivers.apply_to_verdict(verdict, [waiver])
    assert waived.to_dict() == waivers.apply(verdict.to_dict(), [waiver])
    [f] = [f for f in waived.findings if f.rule_id == warned.rule_id]
    assert str(f.outcome) == "info" and f.waiver is not None and f.waiver["outcome"] == "warn"
    assert (verdict.verdict, waived.verdict) == ("warn", "pass")  # its one warning waived
    assert waivers.apply_to_verdict(verdict, []) is verdict
    assert waivers.apply_to_verdict(verdict, [{**waiver, "rule_id": "NO-SUCH-RULE"}]) is verdict
    assert waivers.apply_to_verdict(waived, [{**waiver, "id": 8}]).to_dict() == waived.to_dict()  # once only


def test_store_waivers_ask_the_history_for_the_package_and_the_listings_developer() -> None:
    from gate.core.listing import Developer, Listing
    from tests.history_source import ListHistory

    history = ListHistory()
    history.waiver_list = [{**WAIVER, "package": "com.a", "developer": None},
                           {**WAIVER, "id": 8, "package": None, "developer": "DEV-1"}]
    by_id = Listing(developer=Developer(name="Acme", id="DEV-1"))
    assert [w["id"] for w in waivers.store_waivers(history, "com.a", None)] == [7]
    assert [w["id"] for w in waivers.store_waivers(history, "com.b", by_id)] == [8]
    assert [w["id"] for w in waivers.store_waivers(history, "com.a", by_id)] == [7, 8]
    assert waivers.store_waivers(None, "com.a", by_id) == []
    assert waivers.store_waivers(history, None, None) == []

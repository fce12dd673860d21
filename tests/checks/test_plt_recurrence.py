from gate.core import listing as listing_mod
from gate.core import policy
from gate.core.scan import scan
from tests.conftest import LISTINGS, finding, fixture_apk, rule_ids
from tests.history_source import ListHistory

CN = policy.load("cn-default")
LISTING = listing_mod.load_file(LISTINGS / "complete.json")


def test_warn_on_the_second_version_block_from_the_third() -> None:
    history = ListHistory()
    first = scan(fixture_apk("self-start"), CN, LISTING, history=history)
    assert "PLT-RECURRENCE" not in rule_ids(first) and first.diff is None
    history.record("b1", first)
    second = scan(fixture_apk("self-start"), CN, LISTING, history=history)
    f = finding(second, "PLT-RECURRENCE")
    assert str(f.outcome) == "warn" and f.evidence[0].extra["consecutive"] == 2
    assert f.evidence[0].extra["rule_id"] == "HAR-SELF-START"
    history.record("b2", second)
    third = scan(fixture_apk("self-start"), CN, LISTING, history=history)
    f = finding(third, "PLT-RECURRENCE")
    assert str(f.outcome) == "block" and f.evidence[0].extra["consecutive"] == 3
    assert third.verdict == "block"


def test_a_waived_finding_is_not_counted_nor_does_it_trigger_recurrence() -> None:
    """The store's waivers (History.waivers) are applied before recurrence is counted: a finding a reviewer
    accepted is no problem that came back, whatever its earlier versions carried."""
    history = ListHistory()
    for build_id in ("b1", "b2"):
        history.record(build_id, scan(fixture_apk("self-start"), CN, LISTING, history=history))
    history.waiver_list.append({"id": 1, "rule_id": "HAR-SELF-START", "package": "cn.gate.fixture.self_start",
                                "reason": "restores alarms", "author": "alice"})
    third = scan(fixture_apk("self-start"), CN, LISTING, history=history)
    assert "PLT-RECURRENCE" not in rule_ids(third)
    # a waiver for another package, or a narrower one that this evidence does not match, changes nothing
    history.waiver_list[0] = {**history.waiver_list[0], "package": "com.other"}
    assert str(finding(scan(fixture_apk("self-start"), CN, LISTING, history=history), "PLT-RECURRENCE").outcome) \
        == "block"
    history.waiver_list[0] = {**history.waiver_list[0], "package": "cn.gate.fixture.self_start",
                              "evidence_match": "no such evidence"}
    assert str(finding(scan(fixture_apk("self-start"), CN, LISTING, history=history), "PLT-RECURRENCE").outcome) \
        == "block"


def test_a_fixed_problem_does_not_recur_and_the_diff_says_so() -> None:
    history = ListHistory()
    history.record("b1", scan(fixture_apk("self-start"), CN, LISTING, history=history))
    fixed = scan(fixture_apk("clean"), CN, LISTING, history=history)  # other package: no history
    assert fixed.diff is None
    history.entries["cn.gate.fixture.clean"] = history.entries["cn.gate.fixture.self_start"]
    fixed = scan(fixture_apk("clean"), CN, LISTING, history=history)
    assert "PLT-RECURRENCE" not in rule_ids(fixed)
    assert fixed.diff is not None
    assert [d["rule_id"] for d in fixed.diff["fixed"]] == ["HAR-SELF-START"]
    assert fixed.diff["new"] == [] and fixed.diff["recurring"] == []


def test_stateless_scans_have_no_recurrence() -> None:
    assert "PLT-RECURRENCE" not in rule_ids(scan(fixture_apk("self-start"), CN, LISTING))

"""The runner: a check that raises or overruns becomes GATE-CHECK-FAILED; intake stops analysis."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from gate.core import policy, reference
from gate.core.context import BuildContext
from gate.core.model import Evidence, Finding, Outcome
from gate.core.rules import CheckResult, Params, Rule, Setting, Stage, Status
from gate.core.runner import CheckSpec, run
from gate.defaults import Limits
from tests.conftest import fixture_apk

CN = policy.load("cn-default")


def _ctx(name: str = "clean", budget: float | None = None) -> BuildContext:
    limits = Limits() if budget is None else Limits(check_budget_s=budget)
    return BuildContext(fixture_apk(name), None, limits)


def _spec(name: str, rule_id: str, fn, **rule: object) -> CheckSpec:  # type: ignore[no-untyped-def]
    return CheckSpec(name=name, rule=dataclasses.replace(reference.rules()[rule_id], **rule), run=fn)  # type: ignore[arg-type]


def _boom(ctx: BuildContext, params: Params) -> list[Finding]:
    raise KeyError("no such attribute")


def _spin(ctx: BuildContext, params: Params) -> list[Finding]:
    n = 0
    while True:  # a check stuck in a loop
        n += 1


def _ok(ctx: BuildContext, params: Params) -> list[Finding]:
    return [Finding(rule_id="PKG-EXPORTED", message=f"package {ctx.manifest.package}")]


def test_a_raising_check_becomes_gate_check_failed_and_others_still_run() -> None:
    specs = [_spec("broken", "PKG-DEBUGGABLE", _boom), _spec("fine", "PKG-EXPORTED", _ok)]
    result = run(_ctx(), specs, CN)
    failed = [f for f in result.findings if f.rule_id == "GATE-CHECK-FAILED"]
    assert len(failed) == 1
    assert "broken" in failed[0].message and "KeyError" in failed[0].message
    assert any(f.rule_id == "PKG-EXPORTED" for f in result.findings)
    assert {r.check: r.status for r in result.runs} == {"broken": "failed", "fine": "ok"}


def test_a_check_over_its_cpu_budget_is_stopped() -> None:
    specs = [_spec("spinner", "PKG-DEBUGGABLE", _spin), _spec("fine", "PKG-EXPORTED", _ok)]
    result = run(_ctx(budget=0.3), specs, CN)
    failed = [f for f in result.findings if f.rule_id == "GATE-CHECK-FAILED"]
    assert len(failed) == 1 and "budget" in failed[0].message
    assert {r.check: r.status for r in result.runs}["spinner"] == "timeout"
    assert any(f.rule_id == "PKG-EXPORTED" for f in result.findings)


def test_a_check_returning_garbage_is_a_failure_not_a_pass() -> None:
    specs = [_spec("sloppy", "PKG-DEBUGGABLE", lambda ctx, params: ["not a finding"])]
    result = run(_ctx(), specs, CN)
    assert [f.rule_id for f in result.findings] == ["GATE-CHECK-FAILED"]


def test_intake_findings_stop_the_analysis() -> None:
    import checks

    result = run(_ctx("bad-dex-magic"), checks.discover(), CN)
    assert [f.rule_id for f in result.findings] == ["PKG-UNREADABLE"]
    assert not result.analysed
    assert all(r.status == "skipped" for r in result.runs if r.check not in ("pkg_limits", "pkg_unreadable"))


def test_a_check_cannot_set_its_own_outcome() -> None:
    def bossy(ctx: BuildContext, params: Params) -> list[Finding]:
        return [Finding(rule_id="PKG-EXPORTED", message="x", outcome=Outcome.BLOCK)]

    result = run(_ctx(), [_spec("bossy", "PKG-EXPORTED", bossy)], CN)
    assert [f.rule_id for f in result.findings] == ["GATE-CHECK-FAILED"]
    assert "outcomes are the policy's" in result.findings[0].message


def test_checks_get_their_rules_settings_from_the_policy_never_the_policy() -> None:
    seen: list[Params] = []

    def floor(ctx: BuildContext, params: Params) -> list[Finding]:
        seen.append(params)
        return []

    rule = {"settings": {"target_sdk_floor": Setting(30, "API level", "floor", 1, 100)}}
    strict = policy.load("strict")
    run(_ctx(), [_spec("floor", "PKG-TARGET-SDK", floor, **rule)], strict)
    run(_ctx(), [_spec("floor", "PKG-TARGET-SDK", floor, **rule)], CN)
    assert [(dict(p), p.policy) for p in seen] == [({"target_sdk_floor": 33}, "strict"),
                                                   ({"target_sdk_floor": 30}, "cn-default")]


def test_facts_are_returned_and_off_retired_and_planned_rules_do_not_run() -> None:
    def inventory(ctx: BuildContext, params: Params) -> CheckResult:
        return CheckResult(findings=(), facts={"sdks": [{"id": "x"}]})

    ran: list[str] = []

    def note(ctx: BuildContext, params: Params) -> list[Finding]:
        ran.append("ran")
        return []

    specs = [_spec("inventory", "PI-SDK-INVENTORY", inventory),
             _spec("off", "GP-FGS-TYPE", note),  # off in cn-default
             _spec("retired", "PKG-EXPORTED", note, status=Status.RETIRED),
             _spec("planned", "PKG-CLEARTEXT", note, status=Status.PLANNED)]
    result = run(_ctx(), specs, CN)
    assert result.facts == {"sdks": [{"id": "x"}]}
    assert ran == [] and [r.check for r in result.runs] == ["inventory"]


def test_a_history_check_runs_last_and_receives_the_earlier_findings_judged() -> None:
    received: list[Sequence[Finding]] = []

    def history(ctx: BuildContext, params: Params, earlier: Sequence[Finding]) -> list[Finding]:
        received.append(earlier)
        return []

    def two(ctx: BuildContext, params: Params) -> list[Finding]:
        return [Finding(rule_id="PKG-EXPORTED", message="e"), Finding(rule_id="HAR-SELF-START", message="h")]

    def fgs(ctx: BuildContext, params: Params) -> list[Finding]:
        return [Finding(rule_id="GP-FGS-TYPE", message="g", evidence=(Evidence("manifest", "x"),))]

    specs = [_spec("history", "PLT-RECURRENCE", history), _spec("two", "HAR-SELF-START", two),
             _spec("fgs", "PKG-PACKED", fgs, stage=Stage.ANALYSIS)]
    result = run(_ctx(), specs, CN)
    assert [r.check for r in result.runs] == ["fgs", "two", "history"]
    # in run order, with cn-default's outcomes; GP-FGS-TYPE is off in cn-default, so it is not handed on
    assert [(f.rule_id, f.outcome) for f in received[0]] == [("PKG-EXPORTED", Outcome.INFO),
                                                             ("HAR-SELF-START", Outcome.WARN)]


def test_rules_are_declared_frozen() -> None:
    rule = reference.rules()["PKG-TARGET-SDK"]
    assert isinstance(rule, Rule) and rule.settings["target_sdk_floor"].default == 30

"""The runner: a check that raises or overruns becomes GATE-CHECK-FAILED; intake stops analysis."""

from __future__ import annotations

import dataclasses

from gate.core import policy
from gate.core.context import BuildContext
from gate.core.model import Finding
from gate.core.runner import CheckSpec, run
from tests.conftest import fixture_apk

CN = policy.load("cn-default")


def _ctx(name: str = "clean", budget: float | None = None) -> BuildContext:
    pol = CN
    if budget is not None:
        pol = dataclasses.replace(CN, limits=dataclasses.replace(CN.limits, check_budget_s=budget))
    return BuildContext(fixture_apk(name), None, pol)


def _boom(ctx: BuildContext) -> list[Finding]:
    raise KeyError("no such attribute")


def _spin(ctx: BuildContext) -> list[Finding]:
    n = 0
    while True:  # a check stuck in a loop
        n += 1


def _ok(ctx: BuildContext) -> list[Finding]:
    return [Finding(rule_id="PKG-EXPORTED", message=f"package {ctx.manifest.package}")]


def test_a_raising_check_becomes_gate_check_failed_and_others_still_run() -> None:
    specs = [CheckSpec(name="broken", rule_id="PKG-DEBUGGABLE", run=_boom),
             CheckSpec(name="fine", rule_id="PKG-EXPORTED", run=_ok)]
    result = run(_ctx(), specs)
    failed = [f for f in result.findings if f.rule_id == "GATE-CHECK-FAILED"]
    assert len(failed) == 1
    assert "broken" in failed[0].message and "KeyError" in failed[0].message
    assert any(f.rule_id == "PKG-EXPORTED" for f in result.findings)
    assert {r.check: r.status for r in result.runs} == {"broken": "failed", "fine": "ok"}


def test_a_check_over_its_cpu_budget_is_stopped() -> None:
    specs = [CheckSpec(name="spinner", rule_id="PKG-DEBUGGABLE", run=_spin),
             CheckSpec(name="fine", rule_id="PKG-EXPORTED", run=_ok)]
    result = run(_ctx(budget=0.3), specs)
    failed = [f for f in result.findings if f.rule_id == "GATE-CHECK-FAILED"]
    assert len(failed) == 1 and "budget" in failed[0].message
    assert {r.check: r.status for r in result.runs}["spinner"] == "timeout"
    assert any(f.rule_id == "PKG-EXPORTED" for f in result.findings)


def test_a_check_returning_garbage_is_a_failure_not_a_pass() -> None:
    specs = [CheckSpec(name="sloppy", rule_id="PKG-DEBUGGABLE", run=lambda ctx: ["not a finding"])]  # type: ignore[list-item, return-value]
    result = run(_ctx(), specs)
    assert [f.rule_id for f in result.findings] == ["GATE-CHECK-FAILED"]


def test_intake_findings_stop_the_analysis() -> None:
    import checks

    result = run(_ctx("bad-dex-magic"), checks.discover())
    assert [f.rule_id for f in result.findings] == ["PKG-UNREADABLE"]
    assert not result.analysed
    assert all(r.status == "skipped" for r in result.runs if r.check not in ("pkg_limits", "pkg_unreadable"))

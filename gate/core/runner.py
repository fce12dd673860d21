"""Run checks against a build context. Never raises: a failing check becomes a finding.

The policy chooses which rules run and the settings (``params``) each check receives; checks never see it.
Intake checks (PKG-LIMITS, PKG-UNREADABLE) run first; if one of them reports, the upload is not
analysed further, since nothing else can be trusted about it. Each check runs under a CPU-time
budget (``Limits.check_budget_s``); a check that raises or overruns it yields GATE-CHECK-FAILED naming
the check, so a broken check can never turn into a silent pass.

The budget uses ``ITIMER_PROF`` (CPU time, SIGPROF) rather than SIGALRM, because RQ's job timeout
already owns SIGALRM in the worker. Outside the main thread no signal can be used; there the overrun
is detected after the fact.
"""

from __future__ import annotations

import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from gate.core.context import BuildContext, IntakeError
from gate.core.model import CheckRun, Evidence, Finding, Outcome
from gate.core.policy import Policy, judge
from gate.core.rules import CheckResult, Params, Rule, Stage, Status

GATE_CHECK_FAILED = "GATE-CHECK-FAILED"


GATE_RULE = Rule(
    id=GATE_CHECK_FAILED,
    title="A check could not complete",
    title_zh="检查未能完成",
    fires_when="a check raised or ran past its time budget. The verdict is never a silent pass: the finding names the "
               "check and the error",
    default_outcome=Outcome.WARN,
    rank=10,
)


@dataclass(frozen=True)
class CheckSpec:
    """A check as discovered from its module: the rule it declares and how to run it."""

    name: str  # module name, e.g. "pkg_debuggable"
    rule: Rule
    # run(ctx, params) for intake and analysis checks, run(ctx, params, earlier) for history checks;
    # returns findings, or a CheckResult with findings and facts.
    run: Callable[..., Iterable[Finding] | CheckResult]
    doc: str = ""
    sections: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def rule_id(self) -> str:
        return self.rule.id

    @property
    def stage(self) -> Stage:
        return self.rule.stage

    @property
    def status(self) -> Status:
        return self.rule.status

    @property
    def order(self) -> int:
        return self.rule.order

    @property
    def remediation(self) -> str | None:
        text = self.sections.get("How to fix")
        return text.strip() if text else None

    @property
    def remediation_zh(self) -> str | None:
        text = self.sections.get("如何修复")
        return text.strip() if text else None


@dataclass
class RunResult:
    findings: list[Finding]
    runs: list[CheckRun]
    analysed: bool  # False when intake stopped the analysis
    # Facts the checks returned about the build (e.g. "sdks", the SDK inventory), by name.
    facts: dict[str, Any] = field(default_factory=dict)


class CheckTimeout(Exception):
    pass


def _on_budget(signum: int, frame: FrameType | None) -> None:
    raise CheckTimeout()


class _Budget:
    """CPU-time budget via SIGPROF in the main thread; a no-op elsewhere."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False
        self.previous: Any = None

    def __enter__(self) -> _Budget:
        if self.seconds > 0 and threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGPROF"):
            self.previous = signal.signal(signal.SIGPROF, _on_budget)
            signal.setitimer(signal.ITIMER_PROF, self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, self.previous)


def _failed(spec: CheckSpec, reason: str, reason_zh: str) -> Finding:
    return Finding(
        rule_id=GATE_CHECK_FAILED,
        message=f"The check {spec.name} ({spec.rule_id}) did not complete: {reason}. Its rule was not "
                "evaluated, so this build needs a manual review of that rule.",
        evidence=(Evidence("file", spec.name, f"checks/{spec.name}.py", extra={"rule_id": spec.rule_id}),),
        remediation="Nothing for the app developer to change. Operators: see the worker log for the error; "
                    "resubmit the build once the check is fixed.",
        check=spec.name,
        message_zh=f"检查 `{spec.name}`（`{spec.rule_id}`）未能完成：{reason_zh}。"
                   "该规则未经评估，此版本需要人工复核该规则。",
        remediation_zh="开发者无需修改。运维人员：请查看 worker 日志中的错误，修复该检查后重新提交此版本。",
    )


def run_one(spec: CheckSpec, ctx: BuildContext, params: Params,
            earlier: Sequence[Finding] | None = None) -> tuple[list[Finding], dict[str, Any], CheckRun]:
    """Run one check: its findings (completed with the check's name and fix), its facts, and how it ran.
    ``earlier`` (history-stage checks only) is handed to the check as its third argument."""
    budget = ctx.limits.check_budget_s
    started = time.perf_counter()
    status = "ok"
    facts: dict[str, Any] = {}
    try:
        with _Budget(budget):
            out = spec.run(ctx, params) if earlier is None else spec.run(ctx, params, earlier)
            if isinstance(out, CheckResult):
                found, facts = list(out.findings), dict(out.facts)
            else:
                found = list(out)
        findings = [_complete(f, spec) for f in found]
    except IntakeError as exc:
        # Data the check needed is damaged (e.g. an entry that does not decompress): that is a finding
        # about the upload, reported under the intake rule.
        findings = [Finding(rule_id=exc.rule_id, message=exc.message, evidence=exc.evidence, check=spec.name,
                            message_zh=exc.message_zh)]
    except CheckTimeout:
        status = "timeout"
        findings = [_failed(spec, f"it used more than its budget of {budget:g} s of CPU time",
                            f"CPU 时间超过了 {budget:g} 秒的预算")]
    except MemoryError:
        status = "failed"
        findings = [_failed(spec, "it ran out of memory (the analysis job's memory cap, GATE_JOB_MEMORY_BYTES, "
                                  "or the machine's)",
                                  "内存不足（分析任务的内存上限 `GATE_JOB_MEMORY_BYTES` 或本机内存）")]
    except Exception as exc:  # noqa: BLE001 - the runner must survive any check
        status = "failed"
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
        findings = [_failed(spec, f"{type(exc).__name__}: {exc}{at}", f"程序错误 `{type(exc).__name__}: {exc}{at}`")]
    elapsed = time.perf_counter() - started
    if status == "ok" and elapsed > budget * 2:
        # Wall-clock overrun that the CPU timer could not see (e.g. waiting on I/O).
        status = "timeout"
        findings.append(_failed(spec, f"it took {elapsed:.1f} s, more than twice its budget of {budget:g} s",
                                f"耗时 {elapsed:.1f} 秒，超过 {budget:g} 秒预算的两倍"))
    return findings, facts, CheckRun(check=spec.name, status=status, ms=int(elapsed * 1000))


def _complete(finding: Finding, spec: CheckSpec) -> Finding:
    from dataclasses import replace

    if not isinstance(finding, Finding):
        raise TypeError(f"check returned {type(finding).__name__}, not a Finding")
    if finding.outcome is not None:
        raise ValueError(f"check set the outcome of a {finding.rule_id} finding; outcomes are the policy's")
    return replace(finding, check=spec.name, remediation=finding.remediation or spec.remediation,
                   remediation_zh=finding.remediation_zh or spec.remediation_zh)


STAGES = (Stage.INTAKE, Stage.ANALYSIS, Stage.HISTORY)


def run(ctx: BuildContext, specs: Iterable[CheckSpec], policy: Policy) -> RunResult:
    """Run the intake checks, then (if the upload passed intake) every analysis check, then the history
    checks, which receive the findings so far with the outcomes ``policy`` gives them.

    ``policy`` chooses which rules run and the settings each check receives; the checks never see it."""
    specs = sorted(specs, key=lambda s: (STAGES.index(s.stage), s.order, s.name))
    findings: list[Finding] = []
    runs: list[CheckRun] = []
    facts: dict[str, Any] = {}
    stopped = False
    # Within the size limits, hashing and signature work start on the other core now, alongside the intake
    # parsing and the checks (prefetch refuses an upload over the limits or one that is not a ZIP).
    ctx.prefetch()
    for spec in specs:
        if spec.status in (Status.RETIRED, Status.PLANNED) or not policy.is_on(spec.rule_id):
            continue
        if stopped:
            runs.append(CheckRun(check=spec.name, status="skipped", ms=0))
            continue
        earlier = judge(findings, policy) if spec.stage is Stage.HISTORY else None
        found, learnt, record = run_one(spec, ctx, policy.params(spec.rule), earlier)
        findings.extend(found)
        facts.update(learnt)
        runs.append(record)
        if spec.stage is Stage.INTAKE and any(f.rule_id != GATE_CHECK_FAILED for f in found):
            stopped = True
    return RunResult(findings=findings, runs=runs, analysed=not stopped, facts=facts)

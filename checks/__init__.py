"""The checks: one module per rule, found by walking this package (no registration list).

A check module declares its rule alone, `RULE = Rule(...)` (id, titles, references, default outcome, stage,
status, settings: `gate.core.rules`), and implements `run(ctx, params)` (a history-stage check
`run(ctx, params, earlier)`) returning findings or a `CheckResult` (findings and facts). Its docstring is its
documentation, with the sections `Why it matters`, `How to fix` and `References`, and the Chinese `概述` (the
summary), `为何重要`, `如何修复` and `依据` (the references); the first paragraph is the summary. Code in the
Chinese texts (messages too) is marked with backticks, which the pages show as code.
`docs/adding-a-rule.md` is the recipe.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache

from checks._planned import PLANNED
from gate.core.rules import Rule, Status
from gate.core.runner import GATE_CHECK_FAILED, GATE_RULE, STAGES, CheckSpec

# The Chinese sections (概述, 为何重要, 如何修复, 依据) carry the same text for the zh-CN verdict and rule pages:
# the summary, the two explanations, and the references, one per line like `References`.
_SECTION = re.compile(r"^(Why it matters|How to fix|References|概述|为何重要|如何修复|依据)\n-+\n", re.MULTILINE)


def doc_sections(doc: str) -> dict[str, str]:
    """Split a check docstring into Summary and its named sections (Chinese ones joined into one line)."""
    parts = _SECTION.split(doc.strip())
    sections = {"Summary": parts[0].strip()}
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        sections[title] = join_cjk_lines(body) if title in ("概述", "为何重要", "如何修复") else body.strip()
    return sections


def join_cjk_lines(text: str) -> str:
    """Join wrapped Chinese lines: no space between two Chinese characters (a browser would show one),
    a space where the break falls between two Latin words."""
    out = ""
    for line in (part.strip() for part in text.strip().splitlines()):
        if not line:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and line[0].isascii() and line[0].isalnum():
            out += " "
        out += line
    return out


@cache
def discover() -> tuple[CheckSpec, ...]:
    specs: list[CheckSpec] = []
    seen: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if not isinstance(rule, Rule):
            raise RuntimeError(f"checks.{info.name} declares no RULE = Rule(...) (see docs/adding-a-rule.md)")
        if rule.id in seen:
            raise RuntimeError(f"rule {rule.id} is implemented twice: checks.{seen[rule.id]} and checks.{info.name}")
        seen[rule.id] = info.name
        doc = module.__doc__ or ""
        specs.append(CheckSpec(name=info.name, rule=rule, run=module.run, doc=doc, sections=doc_sections(doc)))
    return tuple(sorted(specs, key=lambda s: (STAGES.index(s.stage), s.order, s.name)))


def catalogue() -> tuple[Rule, ...]:
    """Every rule, in catalogue order: those the checks declare, the runner's own (GATE-CHECK-FAILED), and the
    contract's rules no check implements yet (``_planned``). ``gate/data/rules.json`` is written from this."""
    declared = {spec.rule_id: spec.rule for spec in discover()}
    declared[GATE_RULE.id] = GATE_RULE
    planned = {rule.id: rule for rule in PLANNED if rule.id not in declared}
    return tuple(sorted([*declared.values(), *planned.values()], key=Rule.sort_key))


def implemented_rules() -> set[str]:
    """Rule ids some check reports; GATE-CHECK-FAILED is reported by the runner itself."""
    return {spec.rule_id for spec in discover() if spec.status is not Status.PLANNED} | {GATE_CHECK_FAILED}

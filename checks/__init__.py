"""The checks: one module per rule, found by walking this package (no registration list).

A check module declares `RULE_ID` and implements `run(ctx) -> Iterable[Finding]`. Optional:
`STAGE` ("intake" or "analysis"), `ORDER`, `STATUS`. Its docstring is its documentation, with
the sections `Why it matters`, `How to fix` and `References`, and the Chinese `为何重要` and
`如何修复`; the first line is the summary.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache

from gate.core.runner import GATE_CHECK_FAILED, CheckSpec

# The Chinese sections (为何重要, 如何修复) carry the same text for the zh-CN verdict and rule pages.
_SECTION = re.compile(r"^(Why it matters|How to fix|References|为何重要|如何修复)\n-+\n", re.MULTILINE)


def doc_sections(doc: str) -> dict[str, str]:
    """Split a check docstring into Summary and its named sections (Chinese ones joined into one line)."""
    parts = _SECTION.split(doc.strip())
    sections = {"Summary": parts[0].strip()}
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        sections[title] = join_cjk_lines(body) if title in ("为何重要", "如何修复") else body.strip()
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
        rule_id = getattr(module, "RULE_ID", None)
        if rule_id is None:
            continue
        if rule_id in seen:
            raise RuntimeError(f"rule {rule_id} is implemented twice: checks.{seen[rule_id]} and checks.{info.name}")
        seen[rule_id] = info.name
        doc = module.__doc__ or ""
        specs.append(CheckSpec(
            name=info.name, rule_id=rule_id, run=module.run, stage=getattr(module, "STAGE", "analysis"),
            order=getattr(module, "ORDER", 100), status=getattr(module, "STATUS", "stable"), doc=doc,
            sections=doc_sections(doc),
        ))
    rank = {"intake": 0, "analysis": 1, "post": 2}
    return tuple(sorted(specs, key=lambda s: (rank.get(s.stage, 1), s.order, s.name)))


def implemented_rules() -> set[str]:
    """Rule ids some check reports; GATE-CHECK-FAILED is reported by the runner itself."""
    return {spec.rule_id for spec in discover()} | {GATE_CHECK_FAILED}

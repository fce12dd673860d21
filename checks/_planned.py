"""Rules of the contract (rules.md) that no check implements yet: listed so that the catalogue, `gate rules` and
the rule pages show them as planned. The module that implements one declares its own `RULE` (which wins over
the entry here); delete the entry in the same change (tests/test_registry.py fails until then)."""

from __future__ import annotations

from gate.core.model import Outcome
from gate.core.rules import Rule, Status

# (id, title, Chinese title, fires when, references), in the contract's order; all block by default.
_ROWS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
)

PLANNED = tuple(
    Rule(id=rule_id, title=title, title_zh=title_zh, fires_when=fires_when, references=references,
         default_outcome=Outcome.BLOCK, status=Status.PLANNED, rank=10 * (i + 1))
    for i, (rule_id, title, title_zh, fires_when, references) in enumerate(_ROWS)
)

"""The intake's one error: the upload cannot be analysed (PKG-UNREADABLE or PKG-LIMITS), with bilingual texts."""

from __future__ import annotations

from gate.core.model import Evidence
from gate.errors import GateError


class IntakeError(GateError):
    """The upload cannot be analysed: ``rule_id`` is PKG-UNREADABLE or PKG-LIMITS."""

    def __init__(self, rule_id: str, message: str, evidence: tuple[Evidence, ...] = (), *,
                 zh: str | None = None) -> None:
        super().__init__(message)
        self.rule_id = rule_id
        self.message = message
        self.evidence = evidence
        self.message_zh = zh


def unreadable(message: str, *evidence: Evidence, zh: str) -> IntakeError:
    return IntakeError("PKG-UNREADABLE", message, tuple(evidence), zh=zh)

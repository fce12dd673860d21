"""A rule as its check declares it, and what a check hands back.

Each module under ``checks/`` holds one ``RULE = Rule(...)``: its id, titles, the regulation clauses it rests
on, its default outcome, its stage and status, and the settings it reads with their defaults. Nothing else
declares a rule: ``gate/data/rules.json``, the README's rule table and ``docs/developers.md`` are generated
from these declarations (``python docs/build_developer_guide.py``) and a test fails when they drift.

The core reads the generated ``rules.json`` (``gate.core.reference.rules``), never the checks, so that data
flows one way: checks → catalogue → policy.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gate.core.model import Finding, Outcome

OFF: Literal["off"] = "off"
OUTCOME_WORDS = ("info", "warn", "block", OFF)
# Families in catalogue order (the order of the contract, rules.md); a finding list is sorted by it.
FAMILIES = ("PKG", "PI", "HAR", "DEC", "MAL", "PLT", "GATE", "GP")


class Stage(enum.StrEnum):
    """When a check runs. Intake first (a finding stops the analysis), history last (it sees the others)."""

    INTAKE = "intake"
    ANALYSIS = "analysis"
    HISTORY = "history"


class Status(enum.StrEnum):
    """stable: judged by the policy. evaluation: runs and is shown, but shadowed (info, never raises the
    verdict). retired: no longer runs. planned: in the contract, no check implements it yet."""

    STABLE = "stable"
    EVALUATION = "evaluation"
    RETIRED = "retired"
    PLANNED = "planned"


@dataclass(frozen=True)
class Setting:
    """A value a check reads, with its default; a policy may override it by name (``[settings]``)."""

    default: int
    unit: str
    description: str
    minimum: int | None = None
    maximum: int | None = None

    def problem(self, value: object) -> str | None:
        """Why ``value`` cannot be used for this setting, or None when it can."""
        what = f"an {self.unit}" if self.unit[:1].lower() in "aeiou" else f"a {self.unit}"
        if self.minimum is not None and self.maximum is not None:
            what += f" between {self.minimum} and {self.maximum}"
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be {what}, got {value!r}"
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            return f"must be {what}, got {value!r}"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"default": self.default, "unit": self.unit, "description": self.description,
                "minimum": self.minimum, "maximum": self.maximum}


@dataclass(frozen=True)
class Escalation:
    """The outcome rises to ``to`` once a finding's evidence counts ``at`` or more (``count`` names the
    evidence field holding the count). Applied by ``policy.decide``, never by the check."""

    to: Outcome
    at: int
    count: str

    def to_dict(self) -> dict[str, Any]:
        return {"to": str(self.to), "at": self.at, "count": self.count}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    title_zh: str
    fires_when: str
    references: tuple[str, ...] = ()
    default_outcome: Outcome | Literal["off"] = Outcome.WARN
    stage: Stage = Stage.ANALYSIS
    status: Status = Status.STABLE
    settings: Mapping[str, Setting] = field(default_factory=dict)
    escalation: Escalation | None = None
    # A rule of the gate's own, beyond the contract's ids.
    added: bool = False
    # Place within its family in the catalogue (the contract's order); a new rule goes last by default.
    rank: int = 1000
    # Order of execution within its stage.
    order: int = 100

    @property
    def family(self) -> str:
        return self.id.split("-", 1)[0]

    @property
    def cn_default(self) -> str:
        """The default outcome as a policy word: info, warn, block or off."""
        return self.default_outcome if isinstance(self.default_outcome, str) else str(self.default_outcome)

    @property
    def escalates_to(self) -> str | None:
        return str(self.escalation.to) if self.escalation else None

    def sort_key(self) -> tuple[int, int, str]:
        family = FAMILIES.index(self.family) if self.family in FAMILIES else len(FAMILIES)
        return family, self.rank, self.id

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": self.id, "family": self.family, "title": self.title, "fires_when": self.fires_when,
            "references": list(self.references), "cn_default": self.cn_default, "title_zh": self.title_zh,
            "stage": str(self.stage), "status": str(self.status),
        }
        if self.settings:
            row["settings"] = {name: s.to_dict() for name, s in self.settings.items()}
        if self.escalation:
            row["escalates_to"] = self.escalates_to
            row["escalation"] = self.escalation.to_dict()
        if self.added:
            row["added"] = True
        return row

    @classmethod
    def from_dict(cls, row: Mapping[str, Any], rank: int = 1000) -> Rule:
        word = row["cn_default"]
        esc = row.get("escalation")
        return cls(
            id=row["id"], title=row["title"], title_zh=row.get("title_zh", ""), fires_when=row["fires_when"],
            references=tuple(row["references"]),
            default_outcome=OFF if word == OFF else Outcome.parse(word),
            stage=Stage(row.get("stage", "analysis")), status=Status(row.get("status", "stable")),
            settings={name: Setting(**s) for name, s in (row.get("settings") or {}).items()},
            escalation=Escalation(Outcome.parse(esc["to"]), esc["at"], esc["count"]) if esc else None,
            added=bool(row.get("added", False)), rank=rank,
        )


class Params(Mapping[str, Any]):
    """A rule's effective settings as a check receives them, and the name of the policy they come from
    (for a message such as "policy strict requires at least 33"). A check never sees the policy itself."""

    def __init__(self, values: Mapping[str, Any], policy: str) -> None:
        self._values = dict(values)
        self.policy = policy

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self._values!r}, policy={self.policy!r})"


@dataclass(frozen=True)
class CheckResult:
    """What a check may return instead of bare findings: findings plus facts about the build that the
    verdict carries (``{"sdks": [...]}``, the SDK inventory)."""

    findings: tuple[Finding, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)

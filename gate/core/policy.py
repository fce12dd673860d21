"""Policies: which outcome each rule gets, the targetSdk floor and the intake limits.

A policy is a TOML data file. The built-in ones ship in ``gate/policies``; a store can point at its own
file. ``decide`` is pure: findings in, verdict out.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from gate.core import reference
from gate.core.model import Finding, Outcome
from gate.defaults import PLAY_TARGET_SDK_FLOOR, TARGET_SDK_FLOOR, LimitError, Limits
from gate.errors import GateError

OFF = "off"
_OUTCOME_WORDS = ("info", "warn", "block", OFF)


class PolicyError(GateError, ValueError):
    """A policy file that cannot be used; the message names the file, the line and the reason."""


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    outcomes: dict[str, str]
    target_sdk_floor: int
    limits: Limits
    play_target_sdk_floor: int = PLAY_TARGET_SDK_FLOOR
    version: str = field(default="", compare=False)

    def outcome_for(self, rule_id: str) -> str:
        """``info``/``warn``/``block``/``off`` for a rule, falling back to the catalogue default."""
        if rule_id in self.outcomes:
            return self.outcomes[rule_id]
        rule = reference.rules().get(rule_id)
        return rule.cn_default if rule is not None else "warn"

    def is_on(self, rule_id: str) -> bool:
        return self.outcome_for(rule_id) != OFF

    def content(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "outcomes": dict(sorted(self.outcomes.items())),
            "settings": {
                "target_sdk_floor": self.target_sdk_floor,
                "play_target_sdk_floor": self.play_target_sdk_floor,
            },
            "limits": self.limits.to_dict(),
        }


def _content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def builtin_names() -> list[str]:
    folder = resources.files("gate.policies")
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def load(name_or_path: str) -> Policy:
    """Load a built-in policy by name, or a policy file by path."""
    if name_or_path in builtin_names():
        text = resources.files("gate.policies").joinpath(f"{name_or_path}.toml").read_text(encoding="utf-8")
        return parse(text, origin=f"policy {name_or_path}")
    path = Path(name_or_path)
    if not path.is_file():
        known = ", ".join(builtin_names())
        raise PolicyError(f"no policy named {name_or_path!r} (built-in: {known}) and no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read the policy file: {exc}") from None
    return parse(text, origin=str(path))


def parse(text: str, *, origin: str = "policy") -> Policy:
    """Validate a policy document; every error names the line it is on where one can be found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{origin}: not valid TOML: {exc}") from None
    return parse_data(data, text, origin=origin)


def parse_data(data: dict[str, Any], text: str, *, origin: str) -> Policy:
    """Validate policy content (as parsed from ``text``, used to point at lines in errors)."""

    def fail(reason: str, needle: str | None = None) -> PolicyError:
        line = _line_of(text, needle) if needle else None
        where = f"{origin}, line {line}" if line else origin
        return PolicyError(f"{where}: {reason}")

    allowed_top = {"name", "description", "settings", "limits", "outcomes"}
    for key in data:
        if key not in allowed_top:
            raise fail(f"unknown key {key!r} (allowed: {', '.join(sorted(allowed_top))})", key)
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9._+-]*", name):
        raise fail("'name' must be a lowercase word such as cn-default", "name")

    known_rules = reference.rules()
    outcomes: dict[str, str] = {}
    for rule_id, word in (data.get("outcomes") or {}).items():
        if rule_id not in known_rules:
            raise fail(f"unknown rule id {rule_id!r} in [outcomes]", rule_id)
        if not isinstance(word, str) or word not in _OUTCOME_WORDS:
            raise fail(f"outcome of {rule_id} must be one of {', '.join(_OUTCOME_WORDS)}, got {word!r}", rule_id)
        outcomes[rule_id] = word

    settings = data.get("settings") or {}
    allowed_settings = {"target_sdk_floor", "play_target_sdk_floor"}
    for key in settings:
        if key not in allowed_settings:
            raise fail(f"unknown setting {key!r}", key)
    floors = {}
    for key, default in (("target_sdk_floor", TARGET_SDK_FLOOR), ("play_target_sdk_floor", PLAY_TARGET_SDK_FLOOR)):
        floor = settings.get(key, default)
        if isinstance(floor, bool) or not isinstance(floor, int) or not 1 <= floor <= 100:
            raise fail(f"{key} must be an API level between 1 and 100, got {floor!r}", key)
        floors[key] = floor
    try:
        limits = Limits.from_mapping(dict(data.get("limits") or {}))
    except LimitError as exc:
        raise fail(str(exc), exc.key) from None

    policy = Policy(name=name, description=str(data.get("description", "")), outcomes=outcomes,
                    target_sdk_floor=floors["target_sdk_floor"], limits=limits,
                    play_target_sdk_floor=floors["play_target_sdk_floor"])
    return replace(policy, version=_content_hash(policy.content()))


def with_override(base: Policy, override: dict[str, Any], label: str) -> Policy:
    """``base`` with a store's override applied: outcomes per rule id, settings, limits.

    The result is validated like any policy file, named ``<base>+<label>`` and hashed on its content, so a
    verdict always shows exactly which rules applied.
    """
    if not isinstance(override, dict):
        raise PolicyError(f"override for {label}: expected an object with outcomes, settings and/or limits")
    unknown = set(override) - {"outcomes", "settings", "limits"}
    if unknown:
        raise PolicyError(f"override for {label}: unknown key(s) {', '.join(sorted(unknown))}")
    content = base.content()
    for section in ("outcomes", "settings", "limits"):
        extra = override.get(section) or {}
        if not isinstance(extra, dict):
            raise PolicyError(f"override for {label}: {section} must be an object")
        content[section] = {**content[section], **extra}
    content["name"] = f"{base.name}+{label}"
    text = json.dumps(content, ensure_ascii=False, indent=1)
    return parse_data(content, text, origin=f"override for {label}")


def decide(findings: list[Finding], policy: Policy) -> list[Finding]:
    """Give each finding its outcome, title and references; drop the rules the policy turns off.

    A check may set a floor (``finding.outcome``); the result is the higher of that floor and the
    policy's outcome, so an escalating rule (PLT-RECURRENCE) can rise but never fall below policy.
    """
    rules = reference.rules()
    decided: list[Finding] = []
    for finding in findings:
        word = policy.outcome_for(finding.rule_id)
        if word == OFF:
            continue
        outcome = Outcome.parse(word)
        if finding.outcome is not None:
            outcome = max(outcome, finding.outcome)
        rule = rules.get(finding.rule_id)
        decided.append(replace(
            finding,
            outcome=outcome,
            title=finding.title or (rule.title if rule else finding.rule_id),
            references=finding.references or (rule.references if rule else ()),
        ))
    order = {rule_id: i for i, rule_id in enumerate(rules)}
    decided.sort(key=lambda f: (-int(f.outcome or 0), order.get(f.rule_id, len(order)), f.message))
    return decided

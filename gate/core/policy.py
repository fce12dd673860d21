"""Policies: how a store differs from the rules' defaults (outcomes, settings) and the intake limits.

A policy is a TOML data file. The built-in ones ship in ``gate/policies``; a store can point at its own
file. ``decide`` is pure: findings in, verdict out.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from gate.core import reference
from gate.core.model import Finding, Outcome
from gate.core.rules import OFF, OUTCOME_WORDS, Params, Rule, Setting, Status
from gate.defaults import LimitError, Limits
from gate.errors import GateError

# The policy whose outcomes are the rules' declared defaults. Its content (and so its version) lists every
# rule's outcome, so that changing a default in a check changes its version; the other policies state, and
# hash, only how they differ from the defaults.
DEFAULT_POLICY = "cn-default"

# How the store's review desk treats verdicts, beside the rules' outcomes (a policy's [review] table):
#   second_reviewer_for_block    approving (overriding) a `block` needs a second, senior reviewer
#   api_reviewer_must_be_account a reviewer named through the store's API (its token vouches for the store, not
#                                for the name) must be an enabled reviewer account, as one signed in on the pages is;
#                                so must a waiver's author, or the actor revoking one, named through the API
REVIEW_DEFAULTS: dict[str, bool] = {"second_reviewer_for_block": False, "api_reviewer_must_be_account": False}


class PolicyError(GateError, ValueError):
    """A policy file that cannot be used; the message names the file, the line and the reason."""


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    outcomes: dict[str, str]  # how this policy differs from the rules' default outcomes
    limits: Limits
    # Every setting the rules declare, with this policy's value (its override, else the rule's default).
    settings: dict[str, Any] = field(default_factory=dict)
    version: str = field(default="", compare=False)
    # the review desk's settings (REVIEW_DEFAULTS, with this policy's [review] values)
    review: dict[str, bool] = field(default_factory=lambda: dict(REVIEW_DEFAULTS))

    def outcome_for(self, rule_id: str) -> str:
        """``info``/``warn``/``block``/``off`` for a rule, falling back to the rule's declared default."""
        if rule_id in self.outcomes:
            return self.outcomes[rule_id]
        rule = reference.rules().get(rule_id)
        return rule.cn_default if rule is not None else "warn"

    def is_on(self, rule_id: str) -> bool:
        return self.outcome_for(rule_id) != OFF

    def params(self, rule: Rule) -> Params:
        """The settings ``rule`` declares, with this policy's values: what its check receives."""
        return Params({name: self.settings.get(name, s.default) for name, s in rule.settings.items()}, self.name)

    def content(self) -> dict[str, Any]:
        outcomes = dict(self.outcomes)
        if self.name == DEFAULT_POLICY or self.name.startswith(DEFAULT_POLICY + "+"):
            outcomes = {rule.id: self.outcome_for(rule.id) for rule in reference.rules().values()
                        if rule.status is not Status.PLANNED}
        out = {
            "name": self.name,
            "description": self.description,
            "outcomes": dict(sorted(outcomes.items())),
            "settings": dict(sorted(self.settings.items())),
            "limits": self.limits.to_dict(),
        }
        # only when it differs from the defaults: a policy without [review] keeps the version it had before
        review = {k: v for k, v in self.review.items() if REVIEW_DEFAULTS.get(k) != v}
        if review:
            out["review"] = dict(sorted(review.items()))
        return out


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

    allowed_top = {"name", "description", "settings", "limits", "outcomes", "review"}
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
        if not isinstance(word, str) or word not in OUTCOME_WORDS:
            raise fail(f"outcome of {rule_id} must be one of {', '.join(OUTCOME_WORDS)}, got {word!r}", rule_id)
        outcomes[rule_id] = word

    declared = declared_settings()
    settings: dict[str, Any] = {name: setting.default for name, setting in declared.items()}
    for key, value in (data.get("settings") or {}).items():
        if key not in declared:
            raise fail(f"unknown setting {key!r} (declared by the rules: {', '.join(sorted(declared))})", key)
        problem = declared[key].problem(value)
        if problem:
            raise fail(f"{key} {problem}", key)
        settings[key] = value
    try:
        limits = Limits.from_mapping(dict(data.get("limits") or {}))
    except LimitError as exc:
        raise fail(str(exc), exc.key) from None

    review = dict(REVIEW_DEFAULTS)
    for key, value in (data.get("review") or {}).items():
        if key not in REVIEW_DEFAULTS:
            raise fail(f"unknown review setting {key!r} (known: {', '.join(sorted(REVIEW_DEFAULTS))})", key)
        if not isinstance(value, bool):
            raise fail(f"review setting {key} is true or false, got {value!r}", key)
        review[key] = value

    policy = Policy(name=name, description=str(data.get("description", "")), outcomes=outcomes, limits=limits,
                    settings=settings, review=review)
    return replace(policy, version=_content_hash(policy.content()))


def with_override(base: Policy, override: dict[str, Any], label: str) -> Policy:
    """``base`` with a store's override applied: outcomes per rule id, settings, limits, review settings.

    The result is validated like any policy file, named ``<base>+<label>`` and hashed on its content, so a
    verdict always shows exactly which rules applied.
    """
    if not isinstance(override, dict):
        raise PolicyError(f"override for {label}: expected an object with outcomes, settings, limits and/or review")
    unknown = set(override) - {"outcomes", "settings", "limits", "review"}
    if unknown:
        raise PolicyError(f"override for {label}: unknown key(s) {', '.join(sorted(unknown))}")
    content = base.content()
    for section in ("outcomes", "settings", "limits", "review"):
        extra = override.get(section) or {}
        if not isinstance(extra, dict):
            raise PolicyError(f"override for {label}: {section} must be an object")
        content[section] = {**content.get(section, {}), **extra}
    content["name"] = f"{base.name}+{label}"
    text = json.dumps(content, ensure_ascii=False, indent=1)
    return parse_data(content, text, origin=f"override for {label}")


def declared_settings() -> dict[str, Setting]:
    """Every setting some rule declares, by name (rules sharing a setting declare it alike: a test checks)."""
    return {name: setting for rule in reference.rules().values() for name, setting in rule.settings.items()}


def judge(findings: Iterable[Finding], policy: Policy) -> list[Finding]:
    """Each finding with the outcome ``policy`` gives its rule, in the order given; the rules the policy turns
    off are dropped. A rule under evaluation is shadowed: its findings are kept as info, marked ``shadow``, and
    never raise the verdict. A rule's escalation (PLT-RECURRENCE: block from the 3rd consecutive version)
    raises the outcome when the count its evidence carries reaches the threshold."""
    rules = reference.rules()
    judged: list[Finding] = []
    for finding in findings:
        word = policy.outcome_for(finding.rule_id)
        if word == OFF:
            continue
        outcome = Outcome.parse(word)
        rule = rules.get(finding.rule_id)
        shadow = rule is not None and rule.status is Status.EVALUATION
        if shadow:
            outcome = Outcome.INFO
        elif rule is not None and rule.escalation is not None:
            esc = rule.escalation
            count = max((int(e.extra.get(esc.count, 0)) for e in finding.evidence), default=0)
            if count >= esc.at:
                outcome = max(outcome, esc.to)
        judged.append(replace(finding, outcome=outcome, shadow=shadow))
    return judged


def decide(findings: list[Finding], policy: Policy) -> list[Finding]:
    """Give each finding its outcome (``judge``), title and references, drop the rules the policy turns off,
    and order them: the highest outcome first, then by catalogue order."""
    rules = reference.rules()
    decided = [
        replace(finding,
                title=finding.title or (rule.title if rule else finding.rule_id),
                references=finding.references or (rule.references if rule else ()))
        for finding in judge(findings, policy)
        for rule in (rules.get(finding.rule_id),)
    ]
    order = {rule_id: i for i, rule_id in enumerate(rules)}
    decided.sort(key=lambda f: (-int(f.outcome or 0), order.get(f.rule_id, len(order)), f.message))
    return decided

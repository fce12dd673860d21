"""The check registry: every check discovered, documented, tested, and tied to a catalogue rule."""

from __future__ import annotations

import re

import pytest

import checks
from gate.core import reference
from tests.conftest import ROOT, SHARED

SPECS = checks.discover()


def test_discovery_finds_every_check_module() -> None:
    modules = {p.stem for p in (ROOT / "checks").glob("*.py") if not p.stem.startswith("_")}
    assert {s.name for s in SPECS} == modules


def test_rule_ids_are_unique_and_in_the_catalogue() -> None:
    ids = [s.rule_id for s in SPECS]
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(reference.rules())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_check_documents_itself(spec: checks.CheckSpec) -> None:
    sections = spec.sections
    assert sections["Summary"], "the first docstring line is the summary"
    for title in ("Why it matters", "How to fix", "References"):
        assert sections.get(title), f"{spec.name}: docstring section {title!r} missing or empty"
    for ref in reference.rules()[spec.rule_id].references:
        assert ref in sections["References"], f"{spec.name}: reference {ref} of the catalogue not explained"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_check_has_a_test_file(spec: checks.CheckSpec) -> None:
    assert (ROOT / "tests" / "checks" / f"test_{spec.name}.py").is_file()


def test_catalogue_holds_every_rule_of_the_contract() -> None:
    rules_md = SHARED / "spec" / "rules.md"
    if not rules_md.is_file():
        pytest.skip("shared/spec not available")
    contract = set(re.findall(r"^\| ([A-Z]+(?:-[A-Z0-9]+)+) \|", rules_md.read_text(encoding="utf-8"), re.MULTILINE))
    assert len(contract) >= 32
    assert contract <= set(reference.rules())


def test_builtin_policy_names_every_rule() -> None:
    from gate.core import policy

    cn = policy.load("cn-default")
    assert set(cn.outcomes) == set(reference.rules())

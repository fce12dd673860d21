"""The check registry: every check discovered, documented, tested, and tied to a catalogue rule."""

from __future__ import annotations

import re
import sys

import pytest

import checks
from checks._planned import PLANNED
from gate.core import reference
from gate.core.rules import FAMILIES, Status
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
    for ref in spec.rule.references:
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


def test_every_check_declares_a_whole_rule() -> None:
    for spec in SPECS:
        rule = spec.rule
        assert rule.title and rule.title_zh and rule.fires_when, spec.name
        assert rule.status is not Status.PLANNED, f"{spec.name} is implemented: its rule is not planned"
        assert rule.family in FAMILIES, spec.name


def test_planned_rules_are_not_implemented_and_shown_as_such() -> None:
    implemented = checks.implemented_rules()
    for rule in PLANNED:
        assert rule.status is Status.PLANNED
        assert rule.id not in implemented, f"{rule.id} is implemented now: delete it from checks/_planned.py"
        assert reference.rules()[rule.id].status is Status.PLANNED


def test_generated_catalogue_readme_and_guide_match_the_checks() -> None:
    """gate/data/rules.json, the README's rule table and docs/developers.md are written from the checks'
    declarations; run `python docs/build_developer_guide.py` after changing a rule."""
    sys.path.insert(0, str(ROOT / "docs"))
    from build_developer_guide import generated

    for path, text in generated().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run docs/build_developer_guide.py"
    assert [r.id for r in checks.catalogue()] == list(reference.rules())


def test_checks_never_read_the_policy_nor_import_the_runner() -> None:
    import ast

    for path in sorted((ROOT / "checks").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        if path.name != "__init__.py":  # discovery builds the runner's CheckSpec
            assert not {"gate.core.runner", "gate.core.policy"} & imported, path.name
        assert not any(isinstance(n, ast.Attribute) and n.attr in ("policy", "prior_findings")
                       and isinstance(n.value, ast.Name) and n.value.id == "ctx" for n in ast.walk(tree)), path.name

"""Policies: loading, validation with line numbers, and deciding outcomes."""

from __future__ import annotations

import dataclasses
import re

import pytest

from gate.core import policy, reference
from gate.core.model import Evidence, Finding, Outcome, verdict_word
from gate.core.rules import Status


def test_cn_default_loads_with_a_content_hash() -> None:
    cn = policy.load("cn-default")
    assert cn.name == "cn-default"
    assert cn.settings == {"target_sdk_floor": 30, "play_target_sdk_floor": 35}
    assert cn.outcomes == {}  # the rules' declared defaults are cn-default
    assert len(cn.version) == 16
    assert policy.load("cn-default").version == cn.version


def test_version_changes_with_content_not_formatting() -> None:
    base = 'name = "x"\n[outcomes]\n"PKG-EXPORTED" = "info"\n'
    same = '# comment\nname   =   "x"\n\n[outcomes]\n"PKG-EXPORTED"="info"\n'
    other = 'name = "x"\n[outcomes]\n"PKG-EXPORTED" = "warn"\n'
    assert policy.parse(base).version == policy.parse(same).version
    assert policy.parse(base).version != policy.parse(other).version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('name = "x"\n[outcomes]\n"PKG-NOPE" = "block"\n', "line 3: unknown rule id 'PKG-NOPE'"),
        ('name = "x"\n[outcomes]\n"PKG-EXPORTED" = "fatal"\n', "line 3: outcome of PKG-EXPORTED must be one of"),
        ('name = "x"\n[settings]\ntarget_sdk_floor = "30"\n', "line 3: target_sdk_floor must be an API level"),
        ('name = "x"\n[settings]\nplay_target_sdk_floor = 101\n', "line 3: play_target_sdk_floor must be an API "
                                                                  "level between 1 and 100, got 101"),
        ('name = "x"\n[settings]\ntarget_floor = 30\n', "line 3: unknown setting 'target_floor' (declared by the "
                                                          "rules: play_target_sdk_floor, target_sdk_floor)"),
        ('name = "x"\n[limits]\nmax_entries = 0\n', "line 3: limit max_entries must be a positive number"),
        ('name = "x"\n[limits]\nmax_bananas = 3\n', "line 3: unknown limit(s): max_bananas"),
        ('name = "x"\nwaivers = 1\n', "line 2: unknown key 'waivers'"),
        ('name = "X Y"\n', "line 1: 'name' must be a lowercase word"),
        ('name = "x"\n[outcomes\n', "not valid TOML"),
    ],
)
def test_malformed_policies_are_refused_with_line_and_reason(text: str, expected: str) -> None:
    with pytest.raises(policy.PolicyError) as err:
        policy.parse(text, origin="p.toml")
    assert expected in str(err.value)
    assert str(err.value).startswith("p.toml")


def test_unknown_policy_name_lists_the_builtin_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(policy.PolicyError, match="built-in: cn-default"):
        policy.load("no-such-policy")
    custom = tmp_path / "store.toml"
    custom.write_text('name = "store-a"\n[settings]\ntarget_sdk_floor = 33\n', encoding="utf-8")
    assert policy.load(str(custom)).settings["target_sdk_floor"] == 33


def _f(rule_id: str, *evidence: Evidence) -> Finding:
    return Finding(rule_id=rule_id, message=f"{rule_id} seen", evidence=evidence)


@pytest.mark.parametrize(
    ("overrides", "rules", "verdict"),
    [
        ({}, [], "pass"),
        ({}, ["PKG-EXPORTED", "PI-PERMISSIONS"], "pass"),
        ({}, ["PKG-EXPORTED", "HAR-SELF-START"], "warn"),
        ({}, ["HAR-SELF-START", "PKG-DEBUGGABLE", "PKG-EXPORTED"], "block"),
        ({"PKG-DEBUGGABLE": "warn"}, ["PKG-DEBUGGABLE"], "warn"),
        ({"PKG-DEBUGGABLE": "off"}, ["PKG-DEBUGGABLE"], "pass"),
        ({"PKG-EXPORTED": "block"}, ["PKG-EXPORTED"], "block"),
        ({"GATE-CHECK-FAILED": "block"}, ["GATE-CHECK-FAILED"], "block"),
    ],
)
def test_verdict_is_the_highest_outcome(overrides: dict[str, str], rules: list[str], verdict: str) -> None:
    lines = ['name = "t"', "[outcomes]"] + [f'"{k}" = "{v}"' for k, v in overrides.items()]
    pol = policy.parse("\n".join(lines) + "\n")
    decided = policy.decide([_f(r) for r in rules], pol)
    top = max((f.outcome for f in decided if f.outcome is not None), default=None)
    assert verdict_word(top) == verdict
    assert all(f.title and f.outcome is not None for f in decided)


def test_off_rules_are_dropped_and_findings_sorted_most_severe_first() -> None:
    cn = policy.load("cn-default")
    decided = policy.decide([_f("PKG-EXPORTED"), _f("GP-TARGET-SDK"), _f("PKG-DEBUGGABLE"), _f("HAR-SELF-START")], cn)
    assert [f.rule_id for f in decided] == ["PKG-DEBUGGABLE", "HAR-SELF-START", "PKG-EXPORTED"]
    assert decided[0].references == ()  # PKG-DEBUGGABLE has none in the catalogue
    assert decided[1].references == ("CN-164-2.2", "TS-09")


def _streak(n: int) -> Evidence:
    return Evidence("history", f"HAR-SELF-START on {n} consecutive versions", None, extra={"consecutive": n})


@pytest.mark.parametrize(("pack", "streaks", "outcome"), [
    ("cn-default", [2], Outcome.WARN), ("cn-default", [2, 3], Outcome.BLOCK), ("cn-default", [4], Outcome.BLOCK),
])
def test_recurrence_escalates_by_the_count_in_decide(pack: str, streaks: list[int], outcome: Outcome) -> None:
    decided = policy.decide([_f("PLT-RECURRENCE", *(_streak(n) for n in streaks))], policy.load(pack))
    assert decided[0].outcome is outcome


def test_escalation_never_lowers_the_policy_outcome() -> None:
    pol = policy.parse('name = "x"\n[outcomes]\n"PLT-RECURRENCE" = "block"\n')
    assert policy.decide([_f("PLT-RECURRENCE", _streak(2))], pol)[0].outcome is Outcome.BLOCK


def test_an_evaluation_rule_is_shown_as_info_but_never_raises_the_verdict(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rules = dict(reference.rules())
    rules["PKG-DEBUGGABLE"] = dataclasses.replace(rules["PKG-DEBUGGABLE"], status=Status.EVALUATION)
    monkeypatch.setattr(reference, "rules", lambda: rules)
    decided = policy.decide([_f("PKG-DEBUGGABLE"), _f("PKG-EXPORTED")], policy.load("strict"))
    shadowed = next(f for f in decided if f.rule_id == "PKG-DEBUGGABLE")
    assert shadowed.outcome is Outcome.INFO and shadowed.shadow and shadowed.to_dict()["shadow"] is True
    assert verdict_word(max(f.outcome for f in decided if f.outcome is not None)) == "warn"  # PKG-EXPORTED alone
    assert "shadow" not in next(f for f in decided if f.rule_id == "PKG-EXPORTED").to_dict()


def test_a_shared_setting_is_declared_alike_by_every_rule() -> None:
    seen: dict[str, object] = {}
    for rule in reference.rules().values():
        for name, setting in rule.settings.items():
            assert seen.setdefault(name, setting) == setting, name


@pytest.mark.parametrize(
    ("pack", "rule", "outcome"),
    [
        ("cn-default", "PLT-FILING-MISSING", "block"), ("google-play", "PLT-FILING-MISSING", "off"),
        ("cn-default", "GP-FGS-TYPE", "off"), ("google-play", "GP-FGS-TYPE", "block"),
        ("cn-default", "PKG-TARGET-SDK", "block"), ("google-play", "PKG-TARGET-SDK", "off"),
        ("cn-default", "GATE-CHECK-FAILED", "warn"), ("strict", "GATE-CHECK-FAILED", "block"),
        ("cn-default", "PI-DEVICE-ID", "warn"), ("strict", "PI-DEVICE-ID", "block"),
        ("strict", "PKG-EXPORTED", "warn"), ("strict", "PLT-DELISTED", "block"),
    ],
)
def test_packs_give_each_rule_its_outcome(pack: str, rule: str, outcome: str) -> None:
    assert policy.load(pack).outcome_for(rule) == outcome


def test_packs_have_their_floors() -> None:
    floors = [policy.load(p).settings for p in ("cn-default", "google-play", "strict")]
    assert [(f["target_sdk_floor"], f["play_target_sdk_floor"]) for f in floors] == [(30, 35), (35, 35), (33, 35)]
    assert policy.load("strict").params(reference.rules()["PKG-TARGET-SDK"]) == {"target_sdk_floor": 33}


def test_a_store_override_is_merged_named_and_hashed() -> None:
    base = policy.load("google-play")
    merged = policy.with_override(base, {"outcomes": {"PI-CLIPBOARD": "block"}, "settings": {"target_sdk_floor": 34},
                                         "limits": {"max_apk_bytes": 1000}}, "store-a")
    assert merged.name == "google-play+store-a" and merged.version != base.version
    assert merged.outcome_for("PI-CLIPBOARD") == "block" and merged.outcome_for("GP-FGS-TYPE") == "block"
    assert merged.settings["target_sdk_floor"] == 34 and merged.limits.max_apk_bytes == 1000


@pytest.mark.parametrize(
    ("override", "words"),
    [({"outcomes": {"PI-NOPE": "warn"}}, "unknown rule id 'PI-NOPE'"), ({"outcome": {}}, "unknown key(s) outcome"),
     ({"settings": {"target_sdk_floor": "high"}}, "target_sdk_floor must be an API level"),
     ({"limits": {"max_entries": -5}}, "max_entries must be a positive number"), ([], "expected an object")],
)
def test_bad_overrides_are_refused(override: object, words: str) -> None:
    with pytest.raises(policy.PolicyError, match=re.escape(words)):
        policy.with_override(policy.load("cn-default"), override, "store-a")  # type: ignore[arg-type]


def test_policy_files_hold_only_what_differs_from_the_defaults() -> None:
    for name in policy.builtin_names():
        pol = policy.load(name)
        for rule_id, word in pol.outcomes.items():
            assert word != reference.rules()[rule_id].cn_default, f"{name}: {rule_id} repeats its default"
        text = (policy.resources.files("gate.policies") / f"{name}.toml").read_text(encoding="utf-8")
        for key, value in pol.settings.items():
            if value == policy.declared_settings()[key].default:
                assert not re.search(rf"^{key}\s*=", text, re.MULTILINE), f"{name}: {key} repeats its default"


def test_the_default_policy_version_covers_every_default_outcome(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    before = policy.load("cn-default").version
    rules = dict(reference.rules())
    rules["PKG-EXPORTED"] = dataclasses.replace(rules["PKG-EXPORTED"], default_outcome=Outcome.WARN)
    monkeypatch.setattr(reference, "rules", lambda: rules)
    assert policy.load("cn-default").version != before


def test_the_review_table_defaults_validates_and_keeps_older_versions() -> None:
    base = 'name = "mine"\n'
    plain = policy.parse(base)
    assert plain.review == policy.REVIEW_DEFAULTS == {"second_reviewer_for_block": False,
                                                      "api_reviewer_must_be_account": False}
    accounts = policy.parse(base + "[review]\napi_reviewer_must_be_account = true\n")
    assert accounts.review["api_reviewer_must_be_account"] is True and accounts.version != plain.version
    asks = policy.parse(base + "[review]\nsecond_reviewer_for_block = true\n")
    assert asks.review["second_reviewer_for_block"] is True
    assert asks.version != plain.version  # the verdict's policy version says which desk rules applied
    # a policy that states the default is the same policy as one that leaves it out
    assert policy.parse(base + "[review]\nsecond_reviewer_for_block = false\n").version == plain.version
    with pytest.raises(policy.PolicyError, match="line 3.*true or false"):
        policy.parse(base + "[review]\nsecond_reviewer_for_block = 'yes'\n")
    with pytest.raises(policy.PolicyError, match="unknown review setting"):
        policy.parse(base + "[review]\nthird_reviewer = true\n")
    store = policy.with_override(policy.load("cn-default"), {"review": {"second_reviewer_for_block": True}}, "s")
    assert store.review["second_reviewer_for_block"] is True
    assert policy.with_override(policy.load("cn-default"), {"outcomes": {}}, "s").review == policy.REVIEW_DEFAULTS

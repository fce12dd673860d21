"""MAL-DROPPER: a payload decrypted or downloaded and loaded, in one routine run without the user."""

from __future__ import annotations

import pytest

from tests.conftest import (
    chains_of,
    corpus_file,
    expected_fixture,
    has_chain,
    mal_fixtures,
    rule_ids,
    scan_apk,
    scan_fixture,
)

RULE = "MAL-DROPPER"
FIRES, QUIET = mal_fixtures(RULE)


def test_decrypt_then_load_at_start_up() -> None:
    truth = expected_fixture("mal-dropper")["mal"]["fires"][RULE]
    verdict = scan_fixture("mal-dropper")
    found = [f for f in verdict.findings if f.rule_id == RULE]
    assert len(found) == 1  # one finding per loading call, at the routine nearest to it
    f = found[0]
    assert str(f.outcome) == "block" and "startup" in f.message and "decrypts" in f.message
    assert "PKG-DYNAMIC-CODE" in rule_ids(verdict)
    chains = chains_of(f)
    for chain in truth["chains"]:
        assert has_chain(chains, chain), chain
    assert {e.extra.get("step") for e in f.evidence} >= {"run", "decrypt"}


def test_dynamic_code_without_a_dropper_routine_is_quiet() -> None:
    # dynamic-code builds class loaders but decrypts nothing and is never run on its own
    assert RULE not in rule_ids(scan_fixture("dynamic-code"))


@pytest.mark.parametrize("name", QUIET)
def test_quiet(name: str) -> None:
    assert RULE not in rule_ids(scan_fixture(name))


@pytest.mark.parametrize("name", ["apks/amap-path-record-demo.apk", "apks/hotfixdemo-classloader.apk",
                                  "apks/afinalstone-shellapplication-signer.apk"])
def test_corpus_sdk_updates_hot_fixes_and_packers_are_quiet(name: str) -> None:
    # AMap's location SDK decrypts in one corner and loads a dex in another from its service; a class-loader
    # hot fix; a DIY packer's proxy Application: none has decryption and loading meeting in one routine
    assert RULE not in rule_ids(scan_apk(corpus_file(name)))

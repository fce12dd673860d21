"""MAL-ROGUE: hidden launcher icon, device admin that resists, accessibility that clicks, lock-screen ransom."""

from __future__ import annotations

import pytest

from tests.conftest import (
    chains_of,
    corpus_file,
    expected_fixture,
    finding,
    has_chain,
    mal_fixtures,
    rule_ids,
    scan_apk,
    scan_fixture,
)

RULE = "MAL-ROGUE"
FIRES, QUIET = mal_fixtures(RULE)


def test_hidden_icon_resisting_admin_and_clicking_accessibility() -> None:
    truth = expected_fixture("mal-rogue")["mal"]["fires"][RULE]
    f = finding(scan_fixture("mal-rogue"), RULE)
    assert str(f.outcome) == "block"
    for words in ("hides its launcher icon", "device-admin receiver answers deactivation by locking the screen",
                  "accessibility service clicks"):
        assert words in f.message
    chains = chains_of(f)
    for chain in truth["chains"]:
        assert has_chain(chains, chain), chain
    hides = [e.extra["hides"] for e in f.evidence if "hides" in e.extra]
    assert hides == [["Lcn/gate/fixture/mal_rogue/MainActivity;"]]
    assert any(e.extra.get("strings") == ["安装"] for e in f.evidence)


def test_lock_screen_ransom() -> None:
    truth = expected_fixture("mal-ransom")["mal"]["fires"][RULE]
    f = finding(scan_fixture("mal-ransom"), RULE)
    assert "covers the screen" in f.message and "锁屏勒索" in f.message_zh
    assert has_chain(chains_of(f), truth["chains"][0])
    assert any(e.location == "Lcn/gate/fixture/mal_ransom/LockView;->dispatchKeyEvent(Landroid/view/KeyEvent;)Z"
               for e in f.evidence)


@pytest.mark.parametrize("name", ["parental-control", "screen-reader"])
def test_benign_device_admin_and_screen_reader_are_quiet(name: str) -> None:
    assert name in QUIET
    assert RULE not in rule_ids(scan_fixture(name))


@pytest.mark.parametrize("name", QUIET)
def test_quiet(name: str) -> None:
    assert RULE not in rule_ids(scan_fixture(name))


def test_fixtures_in_expected_json() -> None:
    assert sorted(FIRES) == ["mal-ransom", "mal-rogue"]


def test_corpus_push_sdks_toggling_components_are_quiet() -> None:
    # push SDKs enable and disable their own components with setComponentEnabledSetting; not the launcher
    assert RULE not in rule_ids(scan_apk(corpus_file("apks/mobpush-demo.apk")))

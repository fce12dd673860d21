"""MAL-PREMIUM-SMS: SMS sent from code that runs without the user, or to numbers written in the code."""

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

RULE = "MAL-PREMIUM-SMS"
FIRES, QUIET = mal_fixtures(RULE)


def test_boot_receiver_texting_a_short_code() -> None:
    truth = expected_fixture("mal-premium-sms")["mal"]["fires"][RULE]
    f = finding(scan_fixture("mal-premium-sms"), RULE)
    assert str(f.outcome) == "block"
    assert "receiver" in f.message and "short codes" in f.message and "恶意扣费" in f.message_zh
    assert has_chain(chains_of(f), truth["chains"][0])
    assert any(e.extra.get("entry") == "receiver" for e in f.evidence)
    numbers = [n for e in f.evidence for n in e.extra.get("numbers", [])]
    assert numbers == ["1066588866"]
    assert f.evidence[0].value == "android.permission.SEND_SMS"


def test_sms_client_sending_on_a_button_press_is_quiet() -> None:
    # SEND_SMS + sendTextMessage in MainActivity.onClick with the number the user typed
    assert "sms-client" in QUIET
    assert RULE not in rule_ids(scan_fixture("sms-client"))


@pytest.mark.parametrize("name", QUIET)
def test_quiet_on_the_other_mal_fixtures(name: str) -> None:
    assert RULE not in rule_ids(scan_fixture(name))


def test_fixtures_in_expected_json() -> None:
    assert FIRES == ["mal-premium-sms"]


def test_corpus_receiver_for_the_apps_own_broadcast_is_not_background() -> None:
    # InsecureBankv2's MyBroadCastReceiver texts a password, but it only listens for the app's own action
    # "theBroadcast", sent from its change-password screen: not a system trigger.
    assert RULE not in rule_ids(scan_apk(corpus_file("apks/insecurebankv2.apk")))

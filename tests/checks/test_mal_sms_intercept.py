"""MAL-SMS-INTERCEPT: an SMS_RECEIVED receiver that aborts, deletes or forwards."""

from __future__ import annotations

import pytest

from tests.conftest import chains_of, expected_fixture, finding, has_chain, mal_fixtures, rule_ids, scan_fixture

RULE = "MAL-SMS-INTERCEPT"
FIRES, QUIET = mal_fixtures(RULE)


def test_abort_delete_and_forward() -> None:
    truth = expected_fixture("mal-sms-intercept")["mal"]["fires"][RULE]
    f = finding(scan_fixture("mal-sms-intercept"), RULE)
    assert str(f.outcome) == "block"
    for words in ("aborts the broadcast", "deletes messages", "sends them on"):
        assert words in f.message
    assert "中止短信广播" in f.message_zh
    receiver = f.evidence[0]
    assert receiver.kind == "manifest" and "SmsReceiver" in receiver.value
    found = chains_of(f)
    for chain in truth["chains"]:
        assert has_chain(found, chain), chain


def test_sms_client_showing_incoming_messages_is_quiet() -> None:
    # an SMS_RECEIVED receiver that reads the body and shows it in a Toast
    assert RULE not in rule_ids(scan_fixture("sms-client"))


@pytest.mark.parametrize("name", QUIET)
def test_quiet(name: str) -> None:
    assert RULE not in rule_ids(scan_fixture(name))


def test_fixtures_in_expected_json() -> None:
    assert FIRES == ["mal-sms-intercept"] and "sms-client" in QUIET

"""MAL-REMOTE-CONTROL: commands read from a socket, compared, and dispatched to sensitive actions."""

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

RULE = "MAL-REMOTE-CONTROL"
FIRES, QUIET = mal_fixtures(RULE)


def test_socket_commands_dispatched_to_camera_microphone_call_log_and_shell() -> None:
    truth = expected_fixture("mal-remote-control")["mal"]["fires"][RULE]
    f = finding(scan_fixture("mal-remote-control"), RULE)
    assert str(f.outcome) == "block"
    assert f.evidence[0].location == truth["source"] and f.evidence[0].extra["source"] == "socket"
    assert f.evidence[1].location == truth["dispatcher"]
    assert set(truth["const_strings"][truth["dispatcher"]]) <= set(f.evidence[1].extra["strings"])
    kinds = sorted({e.extra["category"] for e in f.evidence if "chain" in e.extra})
    assert kinds == truth["sinks"]
    found = chains_of(f)
    for chain in truth["chains"][1:]:
        assert has_chain(found, chain), chain
    assert "远程控制" in f.message_zh


@pytest.mark.parametrize("name", QUIET)
def test_quiet(name: str) -> None:
    assert RULE not in rule_ids(scan_fixture(name))


def test_fixtures_in_expected_json() -> None:
    assert FIRES == ["mal-remote-control"]


@pytest.mark.parametrize("name", ["apks/mobpush-demo.apk", "apks/exodus-blooddonation.apk"])
def test_corpus_network_apps_with_location_and_shell_are_quiet(name: str) -> None:
    # network reads, location and Runtime.exec in one app, but no command dispatched from a read to two actions
    assert RULE not in rule_ids(scan_apk(corpus_file(name)))

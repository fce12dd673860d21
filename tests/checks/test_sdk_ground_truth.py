"""The gate's SDK detection and call-site attribution against the hand-checked ground truth kept in
tests/data/sdk_ground_truth.json: SDK recall over the corpus >= 98 % with no false report, and no sensitive
call outside the app's own package roots attributed to the app."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gate.core import policy as policy_mod
from gate.core.context import BuildContext
from tests.conftest import CORPUS, ROOT, corpus_file

TRUTH: dict[str, Any] = json.loads((ROOT / "tests" / "data" / "sdk_ground_truth.json").read_text(encoding="utf-8"))


def _context(relative: str) -> BuildContext:
    return BuildContext(corpus_file(relative), None, policy_mod.load("cn-default").limits, None)


@pytest.mark.corpus
def test_sdk_recall_and_no_false_report() -> None:
    if not CORPUS.is_dir():
        pytest.skip("corpus not available")
    expected = found = 0
    false_reports: dict[str, set[str]] = {}
    missed: dict[str, set[str]] = {}
    for relative, truth in TRUTH["sdks"].items():
        got = {d.sdk.id for d in _context(relative).sdk_inventory}
        expected += len(truth)
        found += len(set(truth) & got)
        if got - set(truth):
            false_reports[relative] = got - set(truth)
        if set(truth) - got:
            missed[relative] = set(truth) - got
    assert not false_reports
    assert found / expected >= 0.98, missed


@pytest.mark.corpus
@pytest.mark.parametrize("relative", TRUTH["attribution_apps"])
def test_no_third_party_call_attributed_to_the_app(relative: str) -> None:
    ctx = _context(relative)
    counted, _ = ctx.sensitive_calls
    assert counted
    code = ctx.code
    for site in counted:
        kind, _ident = code.owner(site.caller_class)
        assert (kind == "app") == code.is_own(site.caller_class), site.caller


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(TRUTH["attribution"]))
def test_each_sensitive_call_site_has_its_hand_checked_owner(relative: str) -> None:
    """For a few SDK-heavy apps every sensitive call site is listed with the owner a reviewer assigned it from
    the caller's package: the gate must give the same owner to each, and find no site the list lacks."""
    if not CORPUS.is_dir():
        pytest.skip("corpus not available")
    ctx = _context(relative)
    counted, _ = ctx.sensitive_calls
    got = {(site.caller, site.api): "{}:{}".format(*ctx.code.owner(site.caller_class)) for site in counted}
    expected = {(row["caller"], row["api"]): row["owner"] for row in TRUTH["attribution"][relative]}
    assert expected
    wrong = {key: (owner, got.get(key)) for key, owner in expected.items() if got.get(key) != owner}
    assert not wrong
    assert set(got) <= set(expected), set(got) - set(expected)
    # what the list calls the app's is under the app's own roots
    assert all(ctx.code.is_own(caller.split("->", 1)[0]) for (caller, _), owner in expected.items()
               if owner.startswith("app:"))

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

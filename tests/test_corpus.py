"""Every real APK of the shared corpus gets a well-formed verdict; every malformed file is blocked cleanly."""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.conftest import CORPUS, LISTINGS, ROOT, corpus_files, load_json, run_gate, scan_apk

VERDICT_SCHEMA = json.loads((ROOT / "gate" / "data" / "verdict.schema.json").read_text(encoding="utf-8"))
APKS = corpus_files("apks")
MALFORMED = corpus_files("malformed")

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not available")


@pytest.mark.parametrize("path", APKS, ids=lambda p: p.name)
def test_every_corpus_apk_gets_a_well_formed_verdict(path) -> None:  # type: ignore[no-untyped-def]
    verdict = scan_apk(path)
    doc = verdict.to_dict()
    jsonschema.validate(json.loads(json.dumps(doc)), VERDICT_SCHEMA)
    failed = [f.message for f in verdict.findings if f.rule_id == "GATE-CHECK-FAILED"]
    assert failed == []
    assert "PKG-UNREADABLE" not in {f.rule_id for f in verdict.findings}
    assert doc["app"]["package"]


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.name)
def test_malformed_files_are_blocked_with_a_clear_message(path) -> None:  # type: ignore[no-untyped-def]
    out = run_gate("scan", str(path), "--listing", str(LISTINGS / "complete.json"), "--format", "json")
    assert out.returncode == 2, out.stderr
    assert out.stderr == ""
    doc = load_json(out.stdout)
    jsonschema.validate(doc, VERDICT_SCHEMA)
    assert doc["verdict"] == "block"
    rules = [f["rule_id"] for f in doc["findings"]]
    assert rules in (["PKG-UNREADABLE"], ["PKG-LIMITS"])
    message = doc["findings"][0]["message"]
    assert "Traceback" not in message and len(message) > 30


def test_malformed_text_output_explains_in_plain_words() -> None:
    path = CORPUS / "malformed" / "robust-patch.apk"
    if not path.is_file():
        pytest.skip("corpus file missing")
    out = run_gate("scan", str(path))
    assert out.returncode == 2
    assert "no AndroidManifest.xml" in out.stdout

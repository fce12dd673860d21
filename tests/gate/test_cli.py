"""The command line as a store's pipeline or a developer's CI calls it: formats and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from gate.core import reference
from tests.conftest import APKS, LISTINGS, ROOT, load_json, run_gate

VERDICT_SCHEMA = json.loads((ROOT / "gate" / "data" / "verdict.schema.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("apk", "listing", "code", "verdict"),
    [
        ("clean", "complete", 0, "pass"),
        ("bg-location", "complete", 1, "warn"),
        ("debuggable", "complete", 2, "block"),
        ("bad-dex-magic", "complete", 2, "block"),
        ("clean", None, 2, "block"),  # no listing: listing rules cannot be met
    ],
)
def test_json_verdict_and_exit_code(apk: str, listing: str | None, code: int, verdict: str) -> None:
    args = ["scan", str(APKS / f"{apk}.apk"), "--format", "json"]
    if listing:
        args += ["--listing", str(LISTINGS / f"{listing}.json")]
    out = run_gate(*args)
    assert out.returncode == code, out.stderr
    assert out.stderr == ""
    doc = load_json(out.stdout)
    jsonschema.validate(doc, VERDICT_SCHEMA)
    assert doc["verdict"] == verdict
    assert doc["policy"]["name"] == "cn-default" and doc["gate_version"]


def test_text_output_puts_the_verdict_first_and_groups_by_outcome() -> None:
    out = run_gate("scan", str(APKS / "debuggable.apk"), "--listing", str(LISTINGS / "complete.json"))
    assert out.returncode == 2
    lines = out.stdout.splitlines()
    assert lines[0].startswith("BLOCK")
    assert "PKG-DEBUGGABLE: Debuggable build" in out.stdout
    assert "Fix: Upload a release build." in out.stdout
    assert out.stdout.index("BLOCK (") < out.stdout.index("INFO (")
    assert "\033[" not in out.stdout  # no colour when not a terminal


def test_sarif_has_one_result_per_finding(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out.sarif"
    out = run_gate("scan", str(APKS / "old-target.apk"), "--listing", str(LISTINGS / "complete.json"),
                   "--format", "sarif", "--out", str(target))
    assert out.returncode == 2 and out.stdout == ""
    sarif = json.loads(target.read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    verdict = load_json(run_gate("scan", str(APKS / "old-target.apk"), "--listing", str(LISTINGS / "complete.json"),
                                 "--format", "json").stdout)
    assert [r["ruleId"] for r in run["results"]] == [f["rule_id"] for f in verdict["findings"]]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
    assert {r["ruleId"]: r["level"] for r in run["results"]}["PKG-TARGET-SDK"] == "error"
    assert run["artifacts"][0]["hashes"]["sha-256"] == verdict["app"]["sha256"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "does-not-exist.apk"], "no such file"),
        (["scan", "tests/fixtures/apks"], "tests/fixtures/apks is a directory, not an APK file"),
        (["scan", "APK", "--listing", "missing.json"], "cannot read listing file"),
        (["scan", "APK", "--listing", "BADJSON"], "not valid JSON"),
        (["scan", "APK", "--listing", "BADTYPE"], "category: Not a valid string"),
        (["scan", "APK", "--policy", "nope"], "no policy named 'nope'"),
        (["scan", "APK", "--format", "xml"], "invalid choice"),
        (["scan"], "required"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_3_with_a_message(args: list[str], message: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{", encoding="utf-8")
    bad_type = tmp_path / "type.json"
    bad_type.write_text('{"category": 5}', encoding="utf-8")
    swap = {"APK": str(APKS / "clean.apk"), "BADJSON": str(bad_json), "BADTYPE": str(bad_type)}
    out = run_gate(*[swap.get(a, a) for a in args])
    assert out.returncode == 3
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_a_scan_without_listing_says_so_once() -> None:
    """Each listing rule still reports (the verdict JSON keeps one finding per rule), but the text names the
    missing listing once and, per rule, only what it could not check."""
    out = run_gate("scan", str(APKS / "clean.apk"))
    assert out.returncode == 2
    doc = load_json(run_gate("scan", str(APKS / "clean.apk"), "--format", "json").stdout)
    unchecked = [f for f in doc["findings"] if f["evidence"][0]["value"] == "(no listing)"]
    assert len(unchecked) >= 5  # the listing rules, each still a finding
    assert out.stdout.count("No listing was supplied") == 0
    assert out.stdout.count("none was supplied") == 1
    assert f"{len(unchecked)} rule(s) that read it could not be checked" in out.stdout
    assert out.stdout.count("Submit the build together with its listing") == 0
    for f in unchecked:
        assert f"Not checked without a listing: {f['evidence'][0]['not_checked']}." in out.stdout


def test_rules_lists_every_catalogue_id_with_its_outcome() -> None:
    out = run_gate("rules", "--format", "json")
    assert out.returncode == 0
    doc = load_json(out.stdout)
    rows = {r["id"]: r for r in doc["rules"]}
    assert list(rows) == list(reference.rules())
    assert rows["PKG-DEBUGGABLE"]["outcome"] == "block" and rows["PKG-DEBUGGABLE"]["implemented"]
    assert rows["GATE-CHECK-FAILED"]["implemented"]
    assert rows["GP-TARGET-SDK"]["outcome"] == "off"
    text = run_gate("rules")
    assert text.returncode == 0 and "PKG-UNREADABLE" in text.stdout


def test_rules_under_a_custom_policy(tmp_path) -> None:  # type: ignore[no-untyped-def]
    custom = tmp_path / "store.toml"
    custom.write_text('name = "store-b"\n[outcomes]\n"PKG-EXPORTED" = "warn"\n', encoding="utf-8")
    doc = load_json(run_gate("rules", "--policy", str(custom), "--format", "json").stdout)
    assert doc["policy"]["name"] == "store-b"
    assert {r["id"]: r["outcome"] for r in doc["rules"]}["PKG-EXPORTED"] == "warn"


def test_the_installed_gate_command_answers_like_the_module(tmp_path: Path) -> None:
    """The console script (its entry skips the interpreter's last garbage collection) writes the whole
    verdict, to stdout or --out, and exits with the verdict's code."""
    script = Path(sys.executable).parent / "gate"
    assert script.is_file(), "the gate command is not installed next to this Python (pip install -e .)"
    apk, listing = str(APKS / "bg-location.apk"), str(LISTINGS / "complete.json")
    by_script = subprocess.run([str(script), "scan", apk, "--listing", listing, "--format", "json"],
                               capture_output=True, text=True, cwd=ROOT)
    by_module = run_gate("scan", apk, "--listing", listing, "--format", "json")
    assert by_script.returncode == by_module.returncode == 1, by_script.stderr
    first, second = load_json(by_script.stdout), load_json(by_module.stdout)
    assert [f["rule_id"] for f in first["findings"]] == [f["rule_id"] for f in second["findings"]]
    out = tmp_path / "verdict.sarif"
    written = subprocess.run([str(script), "scan", apk, "--listing", listing, "--format", "sarif", "--out", str(out)],
                             capture_output=True, text=True, cwd=ROOT)
    assert written.returncode == 1 and written.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"

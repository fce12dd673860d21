"""Shared test helpers: fixture APKs, listings, the corpus (skipped cleanly when absent)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gate.core import listing as listing_mod
from gate.core import policy as policy_mod
from gate.core.model import Verdict
from gate.core.scan import scan

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
APKS = FIXTURES / "apks"
LISTINGS = FIXTURES / "listings"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def fixture_apk(name: str) -> Path:
    path = APKS / f"{name}.apk"
    assert path.is_file(), f"fixture {path} missing: run bash tests/fixtures/build.sh"
    return path


def listing(name: str) -> listing_mod.Listing:
    return listing_mod.load_file(LISTINGS / f"{name}.json")


def corpus_file(relative: str) -> Path:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"corpus not available ({path})")
    return path


def corpus_files(folder: str) -> list[Path]:
    base = CORPUS / folder
    return sorted(base.glob("*.apk")) if base.is_dir() else []


def scan_apk(path: Path, listing_name: str | None = "complete", policy: str = "cn-default") -> Verdict:
    chosen = listing(listing_name) if listing_name else None
    return scan(path, policy_mod.load(policy), chosen)


def scan_fixture(name: str, listing_name: str | None = "complete", policy: str = "cn-default") -> Verdict:
    return scan_apk(fixture_apk(name), listing_name, policy)


def rule_ids(verdict: Verdict) -> set[str]:
    return {f.rule_id for f in verdict.findings}


def finding(verdict: Verdict, rule_id: str):  # type: ignore[no-untyped-def]
    found = [f for f in verdict.findings if f.rule_id == rule_id]
    assert found, f"{rule_id} not reported; got {sorted(rule_ids(verdict))}"
    return found[0]


def run_gate(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process, as a store's pipeline would."""
    return subprocess.run([sys.executable, "-m", "gate.cli", *args], capture_output=True, text=True,
                          check=check, cwd=ROOT)


def load_json(text: str) -> dict:  # type: ignore[type-arg]
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


def expected_fixture(name: str) -> dict:  # type: ignore[type-arg]
    """The ground truth of one fixture in tests/fixtures/expected.json."""
    data = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    entry = data["fixtures"][name]
    assert isinstance(entry, dict)
    return entry


def mal_fixtures(rule_id: str) -> tuple[list[str], list[str]]:
    """(fixtures built to trigger ``rule_id``, fixtures on which it must stay quiet), from expected.json."""
    data = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    fires, quiet = [], []
    for name, entry in data["fixtures"].items():
        mal = entry.get("mal")
        if mal is None:
            continue
        (fires if rule_id in mal["fires"] else quiet).append(name)
    return fires, quiet


def chains_of(finding_: object) -> list[list[str]]:
    """The call chains (entry first, API last) in a finding's evidence."""
    return [list(e.extra["chain"]) for e in finding_.evidence if "chain" in e.extra]  # type: ignore[attr-defined]


def has_chain(found: list[list[str]], expected: list[str]) -> bool:
    """``expected`` (as the bytecode invokes it, e.g. ``SmsReceiver->abortBroadcast``) is one of ``found`` (which
    names the framework API it denotes, ``BroadcastReceiver->abortBroadcast``): same methods, same API member."""
    return any(c[:-1] == expected[:-1] and c[-1].split("->", 1)[1] == expected[-1].split("->", 1)[1] for c in found)

"""Every finding speaks Chinese too: the zh-CN verdict page shows message_zh, 为何重要 and remediation_zh, and
its evidence texts through the phrase table (gate/core/phrases.py); English words in a Chinese text are code
marked with backticks.

The scans below are chosen so that every rule of the catalogue fires at least once (the test says which did
not), so a check that forgets its Chinese text fails here.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

import checks
from gate.core import phrases, reference
from gate.core import policy as policy_mod
from gate.core.model import Finding, Verdict
from gate.core.rules import Status
from gate.core.scan import scan
from tests.conftest import APKS, CORPUS, LISTINGS, fixture_apk, listing
from tests.history_source import ListHistory

CJK = re.compile(r"[\u4e00-\u9fff]")
LISTINGS_TRIED = (None, "complete", "policy-denies", "type-utility_tools", "incomplete", "bad-filing")


# English prose left in a Chinese text: two Latin words in a row outside backticks (an acronym or a name
# such as "Google Play", "SDK" or "Android 14" is one word, or a word and a number).
_PROSE = re.compile(r"[A-Za-z]{2,}[a-z]*\s+[a-z]{2,}\b")
NAMES = ("Google Play", "Play Console", "Android ID", "Instant Run")


def _chinese(text: str | None) -> bool:
    return bool(text and CJK.search(text))


def _english_left(text: str) -> list[str]:
    bare = re.sub(r"`[^`]*`", " ", text)
    for name in NAMES:
        bare = bare.replace(name, " ")
    return _PROSE.findall(bare)


def _problems(verdict: Verdict, where: str) -> list[str]:
    out = []
    for f in verdict.findings:
        if not _chinese(f.message_zh):
            out.append(f"{where}: {f.rule_id} has no Chinese message ({f.message!r})")
        if f.remediation and not _chinese(f.remediation_zh):
            out.append(f"{where}: {f.rule_id} has no Chinese remediation ({f.remediation[:60]!r})")
        for text in (f.message_zh, f.remediation_zh):
            if text and _english_left(text):
                out.append(f"{where}: {f.rule_id} has English in its Chinese text: {_english_left(text)} "
                           f"({text[:60]!r})")
        for e in f.evidence:
            for value in (e.value, e.location):
                # commands are code; an SDK is named on the page by the catalogue's Chinese name
                if e.kind == "command" or (e.kind == "sdk" and e.sdk):
                    continue
                if value and phrases.is_prose(value) and phrases.zh(value) is None:
                    out.append(f"{where}: {f.rule_id} evidence has no Chinese in gate/core/phrases.py: {value[:80]!r}")
    return out


def test_every_check_documents_why_and_fix_in_chinese() -> None:
    missing = []
    for spec in checks.discover():
        for english, chinese in (("Summary", "概述"), ("Why it matters", "为何重要"), ("How to fix", "如何修复"),
                                 ("References", "依据")):
            if spec.sections.get(english) and not _chinese(spec.sections.get(chinese)):
                missing.append(f"checks/{spec.name}.py: {chinese}")
    assert not missing, missing


def test_chinese_sections_are_joined_without_stray_spaces() -> None:
    joined = checks.join_cjk_lines("请上传正式\n  版本，并使用 release\n  build 构建。")
    assert joined == "请上传正式版本，并使用 release build 构建。"


def test_every_finding_over_the_fixtures_has_chinese_texts() -> None:
    strict = policy_mod.load("strict")
    problems: list[str] = []
    seen: set[str] = set()
    for apk in sorted(APKS.glob("*.apk")):
        for name in LISTINGS_TRIED:
            verdict = scan(apk, strict, listing(name) if name else None)
            problems += _problems(verdict, f"{apk.name} + {name}")
            seen |= {f.rule_id for f in verdict.findings}
        verdict = scan(apk, policy_mod.load("google-play"), listing("complete"))
        problems += _problems(verdict, f"{apk.name} (google-play)")
        seen |= {f.rule_id for f in verdict.findings}
    for path in sorted(LISTINGS.glob("*.json")):
        verdict = scan(fixture_apk("sdk-calls"), strict, listing(path.stem))
        problems += _problems(verdict, f"sdk-calls + {path.name}")
        seen |= {f.rule_id for f in verdict.findings}

    # The rules that need a history: a recurring finding, a changed certificate, the delisted registry.
    history = ListHistory()
    for n in range(3):
        verdict = scan(fixture_apk("self-start"), strict, listing("complete"), history=history)
        history.record(f"b{n}", verdict)
    problems += _problems(verdict, "self-start, third version")
    seen |= {f.rule_id for f in verdict.findings}
    cn = policy_mod.load("cn-default")
    history.record("c1", scan(fixture_apk("clean"), cn, listing("complete"), history=history))
    history.registry.append({"package": "cn.gate.fixture.clean", "notice": "工信部通报 2026-01"})
    verdict = scan(fixture_apk("clean-v2"), strict, listing("complete"), history=history)
    problems += _problems(verdict, "clean signed by another key, delisted")
    seen |= {f.rule_id for f in verdict.findings}

    # Limits and a failing check.
    tight = replace(strict, limits=replace(strict.limits, max_dex_bytes=256))
    verdict = scan(fixture_apk("clean"), tight, None)
    problems += _problems(verdict, "clean under a 256-byte dex limit")
    seen |= {f.rule_id for f in verdict.findings}

    def broken(*args: object) -> list[Finding]:
        raise ValueError("boom")

    spec = replace(checks.discover()[-1], name="broken", run=broken)
    verdict = scan(fixture_apk("clean"), strict, None, checks=(*checks.discover(), spec))
    problems += _problems(verdict, "a check that raises")
    seen |= {f.rule_id for f in verdict.findings}

    implemented = {r.id for r in reference.rules().values() if r.status is not Status.PLANNED}
    assert implemented - seen == set(), "rules that never fired here, so their texts went untested"
    unique = sorted({p.split(": ", 1)[1] for p in problems})
    assert not problems, f"{len(unique)} texts lack Chinese:\n" + "\n".join(unique)


@pytest.mark.parametrize("path", sorted((CORPUS / "malformed").glob("*.apk")) if (CORPUS / "malformed").is_dir()
                         else [pytest.param(None, marks=pytest.mark.skip(reason="corpus not available"))])
def test_malformed_uploads_are_explained_in_chinese(path) -> None:  # type: ignore[no-untyped-def]
    verdict = scan(path, policy_mod.load("cn-default"), listing("complete"))
    assert not _problems(verdict, path.name)

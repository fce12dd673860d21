"""Writes docs/developers.md from the checks' own documentation: `python docs/build_developer_guide.py`.
A test fails when the committed guide differs from what this produces."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = [
    "# Reading a verdict and fixing each rule", "",
    "A verdict is `pass`, `warn` (a reviewer looks at the warnings before listing) or `block` (fix and upload again).",
    "Each finding names its rule, the regulation clauses it rests on, the evidence (a permission, a manifest",
    "element, a call site `Lpkg/Cls;->method(...)` with the SDK it belongs to, a call chain from",
    "`Application.onCreate`, a file in the APK, the listing, or the package's history) and how to fix it.",
    "Run the same review before uploading: `gate scan app.apk --listing listing.json` (exit 0 pass, 1 warn,",
    "2 block), or in CI with `docs/ci/gate-scan.yml`.", "",
    "This page is generated from the checks' own documentation (`checks/*.py`) by",
    "`python docs/build_developer_guide.py`.", "",
]
CHECK_FAILED = {"Summary": "A check could not complete (it raised an error or ran past its time budget).",
                "How to fix": "Nothing for the app developer to change: resubmit the build; the store's operators "
                              "see the error.",
                "如何修复": "开发者无需修改：请重新提交此版本；应用商店的运维人员可以看到错误原因。"}


def guide() -> str:
    import checks
    from gate.core import reference

    docs = {s.rule_id: s.sections for s in checks.discover()}
    out = list(HEADER)
    for rid, rule in reference.rules().items():
        sections = CHECK_FAILED if rid == "GATE-CHECK-FAILED" else docs.get(rid, {})
        refs = f"References: {', '.join(rule.references)}." if rule.references else ""
        out += [f"## `{rid}`: {rule.title} / {rule.title_zh}", "",
                f"Default outcome (cn-default): **{rule.cn_default}**. {refs}", "",
                sections.get("Summary", rule.fires_when), ""]
        for title in ("Why it matters", "How to fix"):
            if sections.get(title):
                out += [f"**{title}.** " + " ".join(sections[title].split()), ""]
        for title in ("为何重要", "如何修复"):
            if sections.get(title):
                out += [f"**{title}：** " + sections[title], ""]
    return "\n".join(out)


if __name__ == "__main__":
    (ROOT / "docs" / "developers.md").write_text(guide(), encoding="utf-8")

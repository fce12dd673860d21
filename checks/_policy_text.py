"""Reading a privacy policy: which data categories and which SDKs it discloses.

A term counts only in a sentence that does not deny it: "我们不会收集IMEI" or "we do not collect your
location" mention the data without disclosing it ("包括但不限于" is not a denial).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from gate.core.sdks import Sdk

_SENTENCE = re.compile(r"[。；;！!？?\n]+|(?<=[a-z0-9])\.\s+", re.IGNORECASE)
_GENERIC = {"sdk", "android", "push", "analytics", "map", "maps", "ads", "ad", "pay", "payment", "login", "share",
            "location", "crash", "report", "service", "services", "open", "mobile", "cloud", "api", "library",
            "client", "kit", "core", "common", "base", "lite", "plus", "app", "统计", "分析", "推送", "定位", "地图",
            "支付", "广告", "登录", "分享", "服务", "统计分析", "崩溃", "监控", "移动", "开放平台",
            "消息推送", "一键登录"}


@cache
def lexicon() -> dict[str, Any]:
    text = resources.files("checks").joinpath("data/policy_lexicon.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class Mention:
    term: str
    sentence: str
    denied: bool


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


_CLAUSE = re.compile(r"[，,：:（）()]")


def _denied(before: str) -> bool:
    """Whether the words before a term, in its clause, deny it ("我们不会收集", "we do not collect")."""
    lex = lexicon()
    low = before.lower()
    for phrase in lex["not_negations"]:
        low = low.replace(phrase, "")
    if any(n in low for n in lex["negations_zh"]):
        return True
    return any(re.search(rf"\b{re.escape(n)}\b", low) for n in lex["negations_en"])


def _position(term: str, text: str) -> int:
    """Where ``term`` starts in ``text`` (-1 if absent); Latin terms match whole words, case-insensitively."""
    if term.isascii():
        m = re.search(rf"(?<![a-z0-9]){re.escape(term.lower())}(?![a-z0-9])", text.lower())
        return m.start() if m else -1
    return text.find(term)


def _find(term: str, sentence: str) -> bool:
    return _position(term, sentence) >= 0


def mentions(text: str, terms: list[str]) -> list[Mention]:
    """Every mention of one of ``terms``, judged denied only by a negation before it in the same clause
    ("我们会读取剪切板，不会上传" discloses the clipboard; "我们不会收集IMEI" denies IMEI)."""
    out = []
    for sentence in _sentences(text):
        for clause in _CLAUSE.split(sentence):
            for term in terms:
                at = _position(term, clause)
                if at >= 0:
                    out.append(Mention(term, sentence[:160], _denied(clause[:at])))
    return out


def category_disclosure(text: str, category: str) -> tuple[bool, list[Mention]]:
    """(disclosed, mentions) for one data category."""
    found = mentions(text, lexicon()["categories"].get(category, []))
    return any(not m.denied for m in found), found


def sdk_keys(sdk: Sdk) -> list[str]:
    """What a policy or SDK list may call an SDK: its names, its vendor, its packages, and the brand words of
    its names (友盟, JPush, Bugly, ...), never generic words such as 推送 or Analytics."""
    keys = [sdk.name_en, sdk.name_zh, sdk.vendor_en, sdk.vendor_zh, *sdk.packages]
    for name in (sdk.name_en, sdk.name_zh, sdk.vendor_en, sdk.vendor_zh):
        for token in re.split(r"[\s/()（）,，、+·\-]+", name):
            token = token.strip()
            if token.lower() in _GENERIC or not token:
                continue
            if (token.isascii() and len(token) >= 4) or (not token.isascii() and len(token) >= 2):
                keys.append(token)
    vendor_core = re.sub(r"(股份)?有限(责任)?公司|科技|信息技术|网络技术|技术|集团"
                         r"|^(深圳市|北京市|上海市|广州市|杭州市|北京|上海|深圳|广州|杭州)", "", sdk.vendor_zh)
    if len(vendor_core) >= 2 and not vendor_core.isascii():
        keys.append(vendor_core)
    return list(dict.fromkeys(k for k in keys if k))


def sdk_disclosed(sdk: Sdk, text: str, sdk_list: tuple[str, ...]) -> str | None:
    """The words by which the policy or the declared SDK list names the SDK, or None."""
    keys = sdk_keys(sdk)
    for item in sdk_list:
        for key in keys:
            if _find(key, item) or _find(item, key):
                return f"listed as {item!r} in the declared SDK list"
    for key in keys:
        for sentence in _sentences(text):
            if _find(key, sentence):
                return f"named as {key!r} in the privacy policy"
    return None

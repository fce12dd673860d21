"""Pages for people: the verdict page behind its unguessable link, the rule pages, health, metrics.

The language: `?lang=zh|en` when given (and remembered in a cookie), else the cookie, else the browser's
Accept-Language, else zh-CN. No JavaScript; everything escaped (the texts' backticks become <code> after
escaping, see `markup`).
"""

from __future__ import annotations

import re
from typing import Any

import redis
from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request
from markupsafe import Markup, escape
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from gate.core import phrases, reference
from gate.core import sdks as sdks_mod
from gate.core.labels import CATEGORY_ZH, PROTECTION_ZH, SDK_KIND_ZH
from gate.service.runtime import Runtime, public_build

bp = Blueprint("pages", __name__)

OUTCOME_RANK = {"block": 0, "warn": 1, "info": 2}
# The four categories of the MIIT notices (工信部信管函〔2020〕164号), then the package and the other rules.
GROUPS = (
    ("PI", "违规收集使用个人信息", "Collecting and using personal information unlawfully"),
    ("HAR", "设置障碍、频繁骚扰用户", "Obstructing and harassing users"),
    ("DEC", "欺骗误导用户", "Deceiving and misleading users"),
    ("PLT", "应用分发平台责任", "The distribution platform's duties"),
    ("PKG", "安装包完整性与安全", "Package integrity and security"),
    ("GP", "Google Play 政策", "Google Play policies"),
    ("GATE", "审核系统", "The review system"),
)
INVENTORIES = {"PI-PERMISSIONS", "PI-SDK-INVENTORY"}  # shown as tables of their own
TEXT = {
    "zh": {"pass": "通过", "warn": "警告：需人工复核", "block": "阻止上架", "pending": "审核中",
           "pass_long": "未发现阻止上架的问题。", "warn_long": "上架前请审核以下警告。",
           "block_long": "修复以下阻止项后重新上传。", "found": "发现", "why": "为何重要", "evidence": "证据",
           "fix": "如何修复", "references": "依据", "sdks": "第三方 SDK", "permissions": "权限",
           "diff": "与上一版本相比", "new": "新出现", "fixed": "已修复", "recurring": "仍然存在",
           "version": "版本", "signer": "签名证书", "policy": "审核策略", "status": "状态", "vendor": "提供方",
           "kind": "类型", "data": "收集的信息", "name": "名称", "category": "信息类别", "protection": "保护级别",
           "no_findings": "没有发现问题。", "chain": "调用链", "rule": "规则", "switch": "English", "lang": "zh-CN",
           "outcome_block": "阻止", "outcome_warn": "警告", "outcome_info": "信息", "outcome_off": "关闭",
           "none": "无", "sdk": "SDK",
           "default_outcomes": "各策略下的结果", "all_rules": "全部规则", "summary": "概览",
           "to_fix": "需要处理的问题", "more": "另有 {n} 项", "package_unknown": "（包名未知）",
           "gate_version": "审核系统版本", "not_found": "找不到此页面", "not_found_long":
           "链接可能有误或已失效。审核结果链接区分大小写，请完整复制。", "policy_name": "策略", "waived": "已豁免",
           "waiver": "应用商店的豁免", "waiver_by": "批准人", "waiver_until": "有效期至", "waiver_forever": "长期有效",
           "waiver_was": "原结果", "waiver_review_session": "已登录审核页面",
           "waiver_store_token": "由商店通过接口令牌指名"},
    "en": {"pass": "PASS", "warn": "WARN: review needed", "block": "BLOCK", "pending": "In review",
           "pass_long": "Nothing stands in the way of listing this build.",
           "warn_long": "Review the warnings below before listing.",
           "block_long": "Fix the blocking findings below and upload again.", "found": "Found",
           "why": "Why it matters", "evidence": "Evidence", "fix": "How to fix", "references": "References",
           "sdks": "Third-party SDKs", "permissions": "Permissions", "diff": "Compared with the previous version",
           "new": "New", "fixed": "Fixed", "recurring": "Still there", "version": "Version", "signer": "Signer",
           "policy": "Policy", "status": "Status", "vendor": "Vendor", "kind": "Kind", "data": "Data collected",
           "name": "Name", "category": "Data category", "protection": "Protection", "no_findings": "No findings.",
           "chain": "Call chain", "rule": "Rule", "switch": "中文", "lang": "en", "outcome_block": "Block",
           "outcome_warn": "Warn", "outcome_info": "Info", "outcome_off": "Off", "none": "none", "sdk": "SDK",
           "default_outcomes": "Outcome under each policy", "all_rules": "All rules", "summary": "Summary",
           "to_fix": "To deal with", "more": "{n} more", "package_unknown": "(package unknown)",
           "gate_version": "gate", "not_found": "Page not found", "not_found_long":
           "The link may be wrong or no longer valid. Verdict links are case-sensitive: copy them whole.",
           "policy_name": "Policy", "waived": "Waived",
           "waiver": "Waived by the store", "waiver_by": "by", "waiver_until": "until", "waiver_forever": "no expiry",
           "waiver_was": "was", "waiver_review_session": "signed in on the review pages",
           "waiver_store_token": "named by the store with its API token"},
}


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["gate"]
    return rt


# Evidence kinds and build statuses as the zh-CN page shows them (the English page shows the ids).
KIND_ZH = {"api": "接口调用", "manifest": "清单文件", "listing": "上架信息", "file": "文件", "permission": "权限",
           "sdk": "SDK", "native": "原生库", "history": "历史记录", "call_chain": "调用链", "command": "命令",
           "property": "系统属性", "field": "字段", "reflection": "反射调用", "string": "字符串", "setting": "系统设置"}
STATUS_ZH = {"queued": "排队中", "running": "分析中", "done": "已完成", "failed": "失败"}
EVIDENCE_SHOWN = 5  # evidence items shown before the rest fold into a <details>
LANG_COOKIE = "gate_lang"


def _lang() -> str:
    """zh or en: ?lang=, then the remembered switch, then Accept-Language (zh-CN when nothing says)."""
    asked = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in ("zh", "en"):
        return asked
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return "en" if best == "en" else "zh"


def _page(html: str, lang: str, status: int = 200) -> Response:
    """A page response; a ?lang= switch is remembered for the pages that follow (a year, this site only)."""
    resp = Response(html, status=status, mimetype="text/html")
    if request.args.get("lang") in ("zh", "en"):
        resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    resp.vary.add("Accept-Language")
    resp.vary.add("Cookie")
    return resp


_TICKS = re.compile(r"`([^`\n]+)`")


def markup(text: Any) -> Markup:
    """The texts' small markup, after escaping: `code` becomes <code>code</code>."""
    if text is None:
        return Markup("")
    return Markup(_TICKS.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(str(text)))))


_ENTRY = re.compile(r"^`?[A-Z][A-Z0-9]*-[A-Z0-9]")


def entries(text: str) -> list[str]:
    """A References/依据 section as its entries: a line that starts with a reference id starts one, a line that
    does not continues it (joined without a space between Chinese characters)."""
    out: list[str] = []
    for line in (part.strip() for part in text.splitlines()):
        if not line:
            continue
        if out and not _ENTRY.match(line):
            prev = out[-1]
            out[-1] = prev + (" " if prev[-1].isascii() and line[0].isascii() else "") + line
        else:
            out.append(line)
    return out


def _evidence_text(lang: str) -> Any:
    """``say(text, kind, sdk)``: an evidence text as the page shows it. On the zh page an SDK is named by its
    Chinese name and a text by its Chinese through the phrase table; a text that is code (a signature, a path,
    a command) is shown as code."""
    catalogue = sdks_mod.catalogue().sdks

    def say(text: Any, kind: str | None = None, sdk: str | None = None) -> Markup:
        value = "" if text is None else str(text)
        if lang == "zh" and kind == "sdk" and sdk in catalogue:
            known = catalogue[sdk]
            return Markup('<span translate="no">{}</span>（<span translate="no">{}</span>）').format(
                known.name_zh, known.vendor_zh)
        if lang == "zh":
            translated = phrases.zh(value)
            if translated is not None:
                return markup(translated)
        if phrases.is_prose(value) and kind != "command":
            return markup(value)
        return Markup("<code>{}</code>").format(value)

    return say


def page_language() -> str:
    """The language every page for people is shown in (the review desk's too): see ``_lang``."""
    return _lang()


def _check_docs() -> dict[str, dict[str, str]]:
    import checks

    return {s.rule_id: s.sections for s in checks.discover()}


def _labeller(lang: str) -> Any:
    """``label("category", "device_id")`` -> 设备标识符 on the Chinese page; the id itself in English."""
    tables = {"category": CATEGORY_ZH, "kind": SDK_KIND_ZH, "protection": PROTECTION_ZH} if lang == "zh" else {}

    def label(kind: str, value: Any) -> str:
        return tables.get(kind, {}).get(str(value), str(value))

    return label


def _grouped(findings: list[dict[str, Any]]) -> list[tuple[tuple[str, str, str], list[dict[str, Any]]]]:
    out = []
    for group in GROUPS:
        members = [f for f in findings if f["rule_id"].split("-", 1)[0] == group[0] and f["rule_id"] not in INVENTORIES]
        if members:
            members.sort(key=lambda f: (OUTCOME_RANK.get(f.get("outcome", "info"), 3), f["rule_id"]))
            out.append((group, members))
    return out


@bp.get("/v/<token>")
def verdict_page(token: str) -> Any:
    rt = _rt()
    build = rt.build_by_page_token(token)
    if build is None:
        return not_found()
    doc = public_build(rt.settings, build)
    findings = doc.get("findings", [])
    permissions = next((f for f in findings if f["rule_id"] == "PI-PERMISSIONS"), None)
    lang = _lang()
    shown = [f for f in findings if f["rule_id"] not in INVENTORIES]
    counts = {o: sum(1 for f in shown if f.get("outcome") == o) for o in ("block", "warn", "info")}
    to_fix = sorted((f for f in shown if f.get("outcome") in ("block", "warn")),
                    key=lambda f: (OUTCOME_RANK[f["outcome"]], f["rule_id"]))
    resp = _page(render_template(
        "verdict.html", v=doc, groups=_grouped(findings), permissions=permissions, rules=reference.rules(),
        docs=_check_docs(), counts=counts, to_fix=to_fix, **_common(lang), token=token, label=_labeller(lang),
        say=_evidence_text(lang), kind_zh=KIND_ZH, status_zh=STATUS_ZH, shown_first=EVIDENCE_SHOWN), lang)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Robots-Tag"] = "noindex"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _common(lang: str) -> dict[str, Any]:
    return {"t": TEXT[lang], "lang": lang, "markup": markup, "entries": entries}


def not_found() -> Response:
    """The gate's own 404 page, in both languages (the link that failed may be the only one the reader has)."""
    lang = _lang()
    return _page(render_template("not_found.html", **_common(lang), both=TEXT), lang, status=404)


@bp.get("/rules")
def rules_index() -> Any:
    lang = _lang()
    return _page(render_template("rules.html", rules=reference.rules(), groups=GROUPS, **_common(lang)), lang)


@bp.get("/rules/<rule_id>")
def rule_page(rule_id: str) -> Any:
    from gate.core import policy as policy_mod

    rules = reference.rules()
    rule = rules.get(rule_id)
    if rule is None:
        # ids are upper case; /rules/pi-app-list is the same rule, at its one address
        if rule_id.upper() in rules:
            query = request.query_string.decode("latin-1")
            return redirect(f"/rules/{rule_id.upper()}" + (f"?{query}" if query else ""), code=301)
        return not_found()
    lang = _lang()
    outcomes = {name: policy_mod.load(name).outcome_for(rule.id) for name in policy_mod.builtin_names()}
    return _page(render_template("rule.html", rule=rule, doc=_check_docs().get(rule.id, {}), outcomes=outcomes,
                                 **_common(lang)), lang)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Any:
    from rq import Worker

    rt = _rt()
    try:
        rt.store.ping()
        workers = Worker.count(connection=rt.rq)
    except redis.RedisError as exc:
        resp = jsonify({"status": "unavailable", "redis": f"unreachable: {type(exc).__name__}"})
        resp.status_code = 503
        return resp
    ready = workers > 0
    resp = jsonify({"status": "ready" if ready else "no_workers", "redis": "ok", "workers": workers})
    resp.status_code = 200 if ready else 503
    return resp


@bp.get("/metrics")
def metrics() -> Response:
    rt = _rt()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(rt.collector())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

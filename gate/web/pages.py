"""Pages for people: the verdict page behind its unguessable link, the rule pages, health, metrics.

zh-CN by default, English with `?lang=en`; no JavaScript; everything escaped by Jinja.
"""

from __future__ import annotations

from typing import Any

import redis
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from gate.core import reference
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
           "outcome_block": "阻止", "outcome_warn": "警告", "outcome_info": "信息", "none": "无", "sdk": "SDK",
           "default_outcomes": "各策略下的结果", "all_rules": "全部规则", "waived": "已豁免",
           "waiver": "应用商店的豁免", "waiver_by": "批准人", "waiver_until": "有效期至", "waiver_forever": "长期有效",
           "waiver_was": "原结果"},
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
           "outcome_warn": "Warn", "outcome_info": "Info", "none": "none", "sdk": "SDK",
           "default_outcomes": "Outcome under each policy", "all_rules": "All rules", "waived": "Waived",
           "waiver": "Waived by the store", "waiver_by": "by", "waiver_until": "until", "waiver_forever": "no expiry",
           "waiver_was": "was"},
}


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["gate"]
    return rt


def page_language() -> str:
    """zh (zh-CN) by default, en with ``?lang=en``: every page for people chooses so (the review desk's too)."""
    return "en" if request.args.get("lang") == "en" else "zh"


_lang = page_language


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
        abort(404)
    doc = public_build(rt.settings, build)
    findings = doc.get("findings", [])
    permissions = next((f for f in findings if f["rule_id"] == "PI-PERMISSIONS"), None)
    lang = _lang()
    resp = Response(render_template(
        "verdict.html", v=doc, groups=_grouped(findings), permissions=permissions, rules=reference.rules(),
        docs=_check_docs(), t=TEXT[lang], lang=lang, token=token, label=_labeller(lang)))
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Robots-Tag"] = "noindex"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.get("/rules")
def rules_index() -> Any:
    lang = _lang()
    return render_template("rules.html", rules=reference.rules(), groups=GROUPS, t=TEXT[lang], lang=lang)


@bp.get("/rules/<rule_id>")
def rule_page(rule_id: str) -> Any:
    from gate.core import policy as policy_mod

    rule = reference.rules().get(rule_id)
    if rule is None:
        abort(404)
    lang = _lang()
    outcomes = {name: policy_mod.load(name).outcome_for(rule_id) for name in policy_mod.builtin_names()}
    return render_template("rule.html", rule=rule, doc=_check_docs().get(rule_id, {}), outcomes=outcomes,
                           t=TEXT[lang], lang=lang)


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

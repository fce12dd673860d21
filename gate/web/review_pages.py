"""The review desk's pages (`/review`): sign-in with a reviewer account, the queue, one build with its verdict,
evidence, history and diff, and approve / reject / waive. zh-CN by default, English with ``?lang=en`` (the
verdict page's choice, gate.web.pages.page_language); no JavaScript; everything escaped by Jinja.

Security: the session is a random id in an HttpOnly, SameSite=Strict cookie scoped to /review (Secure when the
gate's public URL is https), its state in Redis with an idle TTL (gate.service.review_sessions); every POST
carries a CSRF token (the session's; before sign-in, a double-submitted one); failed sign-ins are limited per
account name and per client address; a disabled account's session stops working at its next request.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from gate.core import reference
from gate.record.models import REVIEW_SESSION, REVIEW_STATUSES
from gate.service import review
from gate.service.review import SENIOR_ROLES, ReviewError, WaiverRequest
from gate.service.review_sessions import ReviewSessions, same_token
from gate.service.runtime import Runtime
from gate.web.pages import TEXT as VERDICT_TEXT
from gate.web.pages import page_language

bp = Blueprint("review", __name__, url_prefix="/review")

COOKIE = "gate_review"
LOGIN_COOKIE = "gate_review_login"
BUILD_ID = re.compile(r"^b_[0-9a-f]{24}$")
OPEN = {"review.login", "review.login_post"}

TEXT: dict[str, dict[str, str]] = {
    "zh": {"desk": "人工审核台", "sign_in": "登录", "name": "用户名", "password": "密码", "sign_out": "退出登录",
           "queue": "待审核队列", "status": "审核状态", "order": "排序", "newest": "最新在前", "oldest": "最早在前",
           "rule": "规则", "sdk": "SDK", "developer": "开发者", "category": "应用类型", "tenant": "应用商店",
           "any": "全部", "filter": "筛选", "export": "导出 CSV", "build": "构建", "package": "包名",
           "version": "版本", "verdict": "结论", "rules": "触发的规则", "decided_at": "判定时间", "empty": "队列为空。",
           "not_required": "无需审核", "pending": "待审核", "approved": "已批准", "rejected": "已驳回",
           "approve": "批准上架", "reject": "驳回", "waive": "豁免此问题", "reason": "理由",
           "expires": "有效期至（可留空）", "scope": "适用范围", "scope_package": "此应用（包名）",
           "scope_developer": "此开发者的全部应用", "evidence_match": "仅当证据包含（可留空）",
           "waived": "已豁免", "waived_by": "豁免人", "revoke": "撤销豁免", "history": "此应用的历史版本",
           "diff": "与上一版本相比", "added": "新增问题", "removed": "已消除问题", "recurring": "仍然存在",
           "first_version": "这是此应用的第一个版本。", "decisions": "审核记录", "reviewer": "审核人",
           "review_session": "已登录审核页面", "store_token": "由商店通过接口令牌指名，未登录",
           "findings": "发现的问题", "evidence": "证据", "info_findings": "信息类结果", "none": "无",
           "signed_in_as": "当前用户", "wrong": "用户名或密码错误，或账户已停用。",
           "too_many": "登录失败次数过多，请 {minutes} 分钟后再试。", "csrf": "表单已过期或来源不明，请返回后重试。",
           "second_needed": "此构建被阻止：按照应用商店的策略，批准需要第二位资深审核人确认。",
           "override_requested": "{reviewer} 已申请批准（覆盖阻止）：{reason}",
           "confirm_override": "作为资深审核人确认批准", "waiting_senior": "已提交申请，等待资深审核人确认。",
           "notice_approved": "已批准，已通知应用商店。", "notice_rejected": "已驳回，已通知应用商店。",
           "notice_waived": "已添加豁免。", "notice_revoked": "已撤销豁免。",
           "notice_requested": "已提交批准申请，等待资深审核人确认。", "back": "返回队列", "app_page": "开发者报告页",
           "lang": "zh-CN", "switch": "English",
           "outcome_block": "阻止", "outcome_warn": "警告", "outcome_info": "信息",
           "pass": "通过", "warn": "警告", "block": "阻止", "not_found": "没有这个构建。", "role": "角色"},
    "en": {"desk": "Review desk", "sign_in": "Sign in", "name": "Name", "password": "Password", "sign_out": "Sign out",
           "queue": "Review queue", "status": "Review status", "order": "Order", "newest": "Newest first",
           "oldest": "Oldest first", "rule": "Rule", "sdk": "SDK", "developer": "Developer", "category": "App type",
           "tenant": "Store", "any": "Any", "filter": "Filter", "export": "Export CSV", "build": "Build",
           "package": "Package", "version": "Version", "verdict": "Verdict", "rules": "Rules fired",
           "decided_at": "Decided", "empty": "The queue is empty.", "not_required": "Not required",
           "pending": "Pending", "approved": "Approved", "rejected": "Rejected", "approve": "Approve",
           "reject": "Reject", "waive": "Waive this finding", "reason": "Reason", "expires": "Expires (optional)",
           "scope": "Applies to", "scope_package": "This app (package)",
           "scope_developer": "Every app of this developer",
           "evidence_match": "Only when the evidence contains (optional)",
           "waived": "Waived", "waived_by": "Waived by", "revoke": "Revoke waiver", "history": "The app's versions",
           "diff": "Compared with the previous version", "added": "Findings added", "removed": "Findings removed",
           "recurring": "Still there", "first_version": "This is the app's first version.",
           "decisions": "Decisions", "reviewer": "Reviewer", "findings": "Findings", "evidence": "Evidence",
           "review_session": "signed in on the review pages",
           "store_token": "named by the store with its API token, not signed in",
           "info_findings": "Informational results", "none": "none", "signed_in_as": "Signed in as",
           "wrong": "Wrong name or password, or the account is disabled.",
           "too_many": "Too many failed sign-ins; try again in {minutes} minutes.",
           "csrf": "The form expired or came from elsewhere; go back and try again.",
           "second_needed": "This build is blocked: under the store's policy, approving it needs a second, senior "
                            "reviewer.",
           "override_requested": "{reviewer} asked to approve (override the block): {reason}",
           "confirm_override": "Confirm the approval as senior reviewer",
           "waiting_senior": "Requested; waiting for a senior reviewer to confirm.",
           "notice_approved": "Approved; the store is told.", "notice_rejected": "Rejected; the store is told.",
           "notice_waived": "Waiver added.", "notice_revoked": "Waiver revoked.",
           "notice_requested": "Approval requested; waiting for a senior reviewer.", "back": "Back to the queue",
           "app_page": "Developer's report page", "lang": "en", "switch": "中文", "outcome_block": "Block",
           "outcome_warn": "Warn", "outcome_info": "Info", "pass": "Pass", "warn": "Warn", "block": "Block",
           "not_found": "No such build.", "role": "Role"},
}
NOTICES = ("approved", "rejected", "waived", "revoked", "requested")


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["gate"]
    return rt


def _sessions() -> ReviewSessions:
    rt = _rt()
    return rt.review_sessions()


def _t() -> dict[str, str]:
    return TEXT[page_language()]


def _url(path: str, **query: str) -> str:
    """``path`` on the review desk, keeping the page's language."""
    params = {**query, **({"lang": "en"} if page_language() == "en" else {})}
    return f"/review{path}" + (f"?{urlencode(params)}" if params else "")


def _page(template: str, status: int = 200, **values: Any) -> Response:
    lang = page_language()
    resp = Response(render_template(template, t=TEXT[lang], vt=VERDICT_TEXT[lang], lang=lang, url=_url,
                                    me=g.get("reviewer"), role=g.get("role"), csrf=g.get("csrf"), **values),
                    status=status)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Robots-Tag"] = "noindex"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


def _cookie(resp: BaseResponse, name: str, value: str, max_age: int | None) -> None:
    resp.set_cookie(name, value, max_age=max_age, path="/review", httponly=True, samesite="Strict",
                    secure=_rt().settings.public_url.startswith("https://"))


@bp.before_request
def guard() -> BaseResponse | None:
    """Every page but the sign-in needs a live session of an enabled account; every POST its CSRF token."""
    if request.endpoint in OPEN:
        return None
    sid = request.cookies.get(COOKIE)
    session = _sessions().get(sid)
    account = None
    if session is not None:
        account = next((r for r in _rt().record.reviewers() if r["name"] == session["reviewer"]), None)
    if session is None or account is None or account["disabled"]:
        if session is not None:
            _sessions().drop(sid)
        return redirect(_url("/login"))
    g.reviewer, g.role, g.csrf = account["name"], account["role"], session["csrf"]
    if request.method == "POST" and not same_token(session["csrf"], request.form.get("csrf")):
        return _page("review_message.html", 403, message=_t()["csrf"])
    return None


# -- signing in and out -----------------------------------------------------------------------------------------

def _login_page(status: int = 200, error: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    resp = _page("review_login.html", status, login_csrf=token, error=error)
    _cookie(resp, LOGIN_COOKIE, token, 3600)
    return resp


@bp.get("/login")
def login() -> Response:
    return _login_page()


@bp.post("/login")
def login_post() -> BaseResponse:
    t = _t()
    if not same_token(request.cookies.get(LOGIN_COOKIE), request.form.get("csrf")):
        return _login_page(403, t["csrf"])
    name = (request.form.get("name") or "").strip()[:100]
    password = request.form.get("password") or ""
    address = request.remote_addr or "unknown"
    rt = _rt()
    limiter = rt.sign_in_limiter()
    wait = limiter.wait_s(name, address)
    if wait:
        limited = _login_page(429, t["too_many"].format(minutes=max(1, -(-wait // 60))))
        limited.headers["Retry-After"] = str(wait)
        return limited
    account = rt.record.authenticate(name, password) if name and password else None
    if account is None:
        limiter.failed(name, address)
        return _login_page(401, t["wrong"])
    limiter.succeeded(name, address)
    _sessions().drop(request.cookies.get(COOKIE))  # a new id at every sign-in (no session fixation)
    sid, _ = _sessions().create(account["name"], account["role"])
    resp: BaseResponse = redirect(_url(""), code=303)
    _cookie(resp, COOKIE, sid, None)
    resp.delete_cookie(LOGIN_COOKIE, path="/review")
    return resp


@bp.post("/logout")
def logout() -> BaseResponse:
    _sessions().drop(request.cookies.get(COOKIE))
    resp = redirect(_url("/login"))
    resp.delete_cookie(COOKIE, path="/review")
    return resp


# -- the queue --------------------------------------------------------------------------------------------------

def _filters() -> dict[str, Any]:
    args = request.args
    status = args.get("status", "pending")
    return {
        "status": status if status in REVIEW_STATUSES else "pending",
        "order": "oldest" if args.get("order") == "oldest" else "newest",
        **{k: (args.get(k) or "").strip()[:255] for k in ("rule", "sdk", "developer", "category", "tenant")},
    }


def _queue(f: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    return _rt().record.review_queue(f["tenant"] or None, status=f["status"], rule=f["rule"] or None,
                                     sdk=f["sdk"] or None, developer=f["developer"] or None,
                                     category=f["category"] or None, oldest_first=f["order"] == "oldest",
                                     limit=limit)


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts)) if ts else "—"


@bp.get("")
def queue() -> Response:
    f = _filters()
    tenants = [x.name for x in _rt().record.list_tenants()]
    return _page("review_queue.html", builds=_queue(f, 200), f=f, rules=reference.rules(),
                 app_types=reference.app_types(), tenants=tenants, statuses=REVIEW_STATUSES, when=_when,
                 query=urlencode({k: v for k, v in f.items() if v}))


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # a cell a spreadsheet would run as a formula is written as text
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/export.csv")
def export() -> Response:
    """The queue as filtered, with each build's latest decision: for the store's own records."""
    rows = _queue(_filters(), 500)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["build_id", "tenant", "platform_build_id", "package", "version_code", "verdict", "review_status",
                     "decided_at", "developer", "category", "rules", "decision", "reviewer", "reason", "reviewed_at",
                     "reviewer_identified_by"])
    for r in rows:
        last = (_rt().record.decisions(r["build_id"]) or [{}])[-1]
        writer.writerow([_cell(v) for v in (
            r["build_id"], r["tenant"], r["platform_build_id"], r["package"], r["version_code"], r["verdict"],
            r["review_status"], _when(r["decided_at"]), r["developer"], r["category"], " ".join(r["rules"]),
            last.get("decision"), last.get("reviewer"), last.get("reason"), _when(last.get("decided_at")),
            last.get("reviewer_identified_by"))])
    resp = Response(out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = "attachment; filename=review-queue.csv"
    resp.headers["Cache-Control"] = "no-store"
    return resp


# -- one build --------------------------------------------------------------------------------------------------

def _build_page(build_id: str, status: int = 200, error: str | None = None) -> Response:
    rt = _rt()
    try:
        build = review.own_build(rt, None, build_id)
    except ReviewError:
        return _page("review_message.html", 404, message=_t()["not_found"])
    doc = build.get("verdict") or {}
    findings = doc.get("findings") or []
    waivers = review.waivers_for(rt, build)
    order = {"block": 0, "warn": 1, "info": 2}
    indexed = sorted(enumerate(findings), key=lambda x: (order.get(x[1].get("outcome", "info"), 3), x[0]))
    notice = request.args.get("notice")
    package = build.get("package")
    return _page(
        "review_build.html", status, b=build, v=doc, findings=indexed, waived=review.waived(findings, waivers),
        waivers=waivers, rules=reference.rules(), diff=review.diff(rt, build), when=_when,
        versions=rt.record.builds_for_package(build["tenant"], package, 20) if package else [],
        decisions=rt.record.decisions(build_id), override=review.override_request(rt, build_id)
        if build.get("review_status") == "pending" else None,
        second_needed=review.second_needed(rt, build, "approve"), senior=g.get("role") in SENIOR_ROLES,
        notice=_t()[f"notice_{notice}"] if notice in NOTICES else None, error=error,
        verdict_url=f"{rt.settings.public_url}/v/{build['verdict_token']}")


@bp.get("/builds/<build_id>")
def build_page(build_id: str) -> Response:
    return _build_page(build_id)


def _after(build_id: str, notice: str) -> BaseResponse:
    # Post/Redirect/Get: a reload does not post the decision again
    return redirect(_url(f"/builds/{build_id}", notice=notice), code=303)


@bp.post("/builds/<build_id>/decision")
def decide(build_id: str) -> BaseResponse:
    rt = _rt()
    decision = request.form.get("decision", "")
    reason = (request.form.get("reason") or "").strip()
    try:
        build = review.own_build(rt, None, build_id)
        if decision == "approve" and review.second_needed(rt, build, "approve"):
            asked = review.override_request(rt, build_id)
            if request.form.get("confirm") and asked and g.role in SENIOR_ROLES and asked["reviewer"] != g.reviewer:
                note = f"{asked['reason']} / {g.reviewer}: {reason}" if reason else asked["reason"]
                review.decide(rt, None, build_id, "approve", note, asked["reviewer"], second_reviewer=g.reviewer,
                              identified_by=REVIEW_SESSION)
                return _after(build_id, "approved")
            review.request_override(rt, build_id, reason, g.reviewer)
            return _after(build_id, "requested")
        out = review.decide(rt, None, build_id, decision, reason, g.reviewer, identified_by=REVIEW_SESSION)
    except ReviewError as exc:
        return _build_page(build_id, exc.status, str(exc))
    return _after(build_id, out["review_status"])


@bp.post("/builds/<build_id>/waivers")
def waive(build_id: str) -> BaseResponse:
    rt = _rt()
    form = request.form
    try:
        build = review.own_build(rt, None, build_id)
        by_developer = form.get("scope") == "developer"
        request_ = WaiverRequest(
            rule_id=(form.get("rule_id") or "").strip(), reason=(form.get("reason") or "").strip(),
            package=None if by_developer else build.get("package"),
            developer=build.get("developer") if by_developer else None,
            evidence_match=(form.get("evidence_match") or "").strip() or None,
            expires_at=review.parse_time((form.get("expires") or "").strip() or None, "expires_at"))
        review.add_waiver(rt, build["tenant"], request_, g.reviewer, identified_by=REVIEW_SESSION)
    except ReviewError as exc:
        return _build_page(build_id, exc.status, str(exc))
    return _after(build_id, "waived")


@bp.post("/waivers/<int:waiver_id>/revoke")
def revoke(waiver_id: int) -> BaseResponse:
    back = request.form.get("build_id", "")
    try:
        review.revoke_waiver(_rt(), None, waiver_id, g.reviewer, identified_by=REVIEW_SESSION)
    except ReviewError as exc:
        if BUILD_ID.match(back):
            return _build_page(back, exc.status, str(exc))
        return _page("review_message.html", exc.status, message=str(exc))
    return _after(back, "revoked") if BUILD_ID.match(back) else redirect(_url(""), code=303)

"""Small helpers shared by the checks (not a check itself)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from gate.core import reference
from gate.core.context import BuildContext, Manifest
from gate.core.model import Evidence, Finding
from gate.defaults import MAX_EVIDENCE as MAX_EVIDENCE

if TYPE_CHECKING:  # gate.core.code pulls in numpy: imported when the code is first analysed, not with the checks
    from gate.core.code import CallSite


def permission_evidence(manifest: Manifest, name: str) -> Evidence:
    info = reference.permissions().get(name)
    tag = next((p.tag for p in manifest.permissions if p.name == name), "uses-permission")
    extra = {}
    if info is not None:
        extra = {"category": info.data_category, "protection": info.protection}
    return Evidence("permission", name, f"AndroidManifest.xml <{tag}>", extra=extra)


def listing_missing(rule_id: str, needed: str, needed_zh: str) -> Finding:
    """The finding of a listing-based rule when no listing came with the APK: say so, do not guess.

    ``needed_zh`` names the same thing in Chinese, e.g. "隐私政策".
    """
    return Finding(
        rule_id=rule_id,
        message=f"No listing was supplied with this build, so {needed} could not be checked.",
        evidence=(Evidence("listing", "(no listing)", "listing"),),
        remediation="Submit the build together with its listing (gate scan --listing FILE, or the "
                    "metadata part of the webhook).",
        message_zh=f"此版本提交时未附上架信息，因此无法检查{' ' if needed_zh[:1].isascii() else ''}{needed_zh}。",
        remediation_zh="请随安装包一并提交上架信息（gate scan --listing 文件，或 webhook 的 metadata 部分）。",
    )


def app_type_known(ctx: BuildContext) -> str | None:
    """The listing's app type when it is one of the known slugs, else None."""
    if ctx.listing is None or not ctx.listing.category:
        return None
    slug = ctx.listing.category.strip()
    return slug if slug in reference.app_types() else None


def site_evidence(ctx: BuildContext, site: CallSite) -> Evidence:
    """A call site as evidence: the API, where it is called, and the SDK that code belongs to."""
    kind, ident = ctx.code.owner(site.caller_class)
    extra: dict[str, object] = {"category": site.category, "owner": kind}
    if site.via:
        extra["via"] = list(site.via)
    return Evidence("api", site.api, site.caller, sdk=ident if kind == "sdk" else None, extra=extra)


def sites(ctx: BuildContext, categories: set[str]) -> list[CallSite]:
    """Counted call sites (SDK or app code; library wrappers followed to their callers) of some categories."""
    counted, _ = ctx.sensitive_calls
    return [s for s in counted if s.category in categories]


def _by_owner(evidence: list[Evidence]) -> tuple[dict[str, int], int]:
    by_sdk: dict[str, int] = {}
    own = 0
    for e in evidence:
        if e.sdk:
            by_sdk[e.sdk] = by_sdk.get(e.sdk, 0) + 1
        else:
            own += 1
    return by_sdk, own


def who(ctx: BuildContext, evidence: list[Evidence]) -> str:
    """"in SDKs jpush (2), umeng-analytics (1) and in the app's own code (1)"."""
    by_sdk, own = _by_owner(evidence)
    parts = []
    if by_sdk:
        parts.append("in third-party SDKs " + ", ".join(f"{k} ({v})" for k, v in sorted(by_sdk.items())))
    if own:
        parts.append(f"in the app's own code ({own})")
    return " and ".join(parts)


def who_zh(ctx: BuildContext, evidence: list[Evidence]) -> str:
    """"位于第三方 SDK jpush（2 处）、umeng-analytics（1 处）及应用自身代码（1 处）"."""
    by_sdk, own = _by_owner(evidence)
    parts = []
    if by_sdk:
        parts.append("第三方 SDK " + "、".join(f"{k}（{v} 处）" for k, v in sorted(by_sdk.items())))
    if own:
        parts.append(f"应用自身代码（{own} 处）")
    return "位于" + "及".join(parts)


def capped(evidence: list[Evidence], what: str = "call sites") -> tuple[Evidence, ...]:
    """Evidence for a finding, the app's own code first, at most MAX_EVIDENCE items plus a note of the rest."""
    ordered = sorted(evidence, key=lambda e: (e.sdk is not None, e.sdk or "", e.location or ""))
    if len(ordered) <= MAX_EVIDENCE:
        return tuple(ordered)
    rest = len(ordered) - MAX_EVIDENCE
    return (*ordered[:MAX_EVIDENCE], Evidence("api", f"... and {rest} more {what}", None))


# Personal data about the device and its user that the necessary-PI rules and the regulators' tests look at.
# Storage, network state and generic sensors are left out: nearly every app touches them.
DEVICE_DATA = ("location", "contacts", "call_log", "sms", "microphone", "camera", "device_id", "phone", "app_list",
               "clipboard", "calendar", "accounts", "nearby_devices", "body_sensors", "physical_activity")
# The 39-type table names some data as the regulation does; the gate's categories for the same thing.
TYPE_TERMS = {"phone_number": "phone"}


def collected(ctx: BuildContext) -> dict[str, list[Evidence]]:
    """Device data categories the app or its SDKs can collect: requested permissions and sensitive call
    sites (in SDK or app code; library internals are not counted), with the evidence for each."""
    table = reference.permissions()
    found: dict[str, list[Evidence]] = {}
    manifest = ctx.manifest
    for name in manifest.permission_names:
        info = table.get(name)
        if info is None:
            continue
        for category in (info.data_category, *info.also):
            # runtime permissions open the data; QUERY_ALL_PACKAGES is "normal" yet opens the app list
            if category in DEVICE_DATA and (info.protection in ("dangerous", "signature") or category == "app_list"):
                found.setdefault(category, []).append(permission_evidence(manifest, name))
    counted, _ = ctx.sensitive_calls
    for site in counted:
        if site.category in DEVICE_DATA:
            found.setdefault(site.category, []).append(site_evidence(ctx, site))
    return found


def category_evidence(found: dict[str, list[Evidence]], categories: list[str], per: int = 10) -> list[Evidence]:
    """The evidence of some categories of ``collected``, each item tagged with its category."""
    return [Evidence(e.kind, e.value, e.location, e.sdk, {**e.extra, "category": category})
            for category in categories for e in found[category][:per]]


def call_site_finding(ctx: BuildContext, rule_id: str, category: str, reads: str,
                      reads_zh: str) -> Finding | None:
    """One finding listing every counted call site of a data category, or None when there is none.

    ``reads`` and ``reads_zh`` say what the calls do: "read the clipboard", "读取剪切板"."""
    evidence = [site_evidence(ctx, s) for s in sites(ctx, {category})]
    if not evidence:
        return None
    return Finding(rule_id=rule_id, message=f"{len(evidence)} call site(s) {reads}, {who(ctx, evidence)}.",
                   message_zh=f"{len(evidence)} 处调用{reads_zh}，{who_zh(ctx, evidence)}。",
                   evidence=capped(evidence))


def necessary_for(slug: str) -> set[str] | None:
    """The device data categories necessary for an app type (None when the type has no table: other)."""
    app_type = reference.app_types().get(slug)
    if app_type is None or app_type.necessary is None:
        return None
    return {TYPE_TERMS.get(term, term) for term in app_type.necessary}


# Data categories in Chinese, for the Chinese messages of the PI rules (categories not named here are shown by id):
# the gate's device data, the other permission and API categories, and the terms of the necessary-PI table.
CATEGORY_ZH = {
    "location": "位置信息", "contacts": "通讯录", "call_log": "通话记录", "sms": "短信", "microphone": "麦克风",
    "camera": "摄像头", "device_id": "设备标识符", "phone": "电话/本机号码", "app_list": "已安装应用列表",
    "clipboard": "剪切板", "calendar": "日历", "accounts": "账户信息", "nearby_devices": "附近设备",
    "body_sensors": "身体传感器", "physical_activity": "身体活动",
    "accessibility": "无障碍服务", "autostart": "自启动", "device_admin": "设备管理器", "exact_alarm": "精确闹钟",
    "foreground_service": "前台服务", "install_packages": "安装应用", "logs": "系统日志", "media_audio": "音频文件",
    "media_images": "图片", "media_video": "视频文件", "network": "网络访问", "network_info": "网络状态信息",
    "notifications": "通知", "overlay": "悬浮窗", "screen_capture": "屏幕录制", "storage": "存储",
    "system_settings": "系统设置", "sensors": "传感器", "dynamic_code": "动态加载代码",
    "phone_number": "手机号码", "identity": "身份信息", "bank_card": "银行卡信息", "address": "地址信息",
    "health": "健康信息",
}


def categories_zh(categories: Iterable[str]) -> str:
    """Category ids as Chinese words joined with 、: "位置信息、通讯录"."""
    return "、".join(CATEGORY_ZH.get(c, c) for c in categories)


# SDK kinds and permission protection levels in Chinese.
SDK_KIND_ZH = {"analytics": "统计分析", "push": "推送", "ads": "广告", "payment": "支付", "maps_location": "地图定位",
           "social_login_share": "社交登录与分享", "crash_apm": "崩溃与性能监控", "device_id_service": "设备标识服务",
           "hot_update_plugin": "热更新与插件化", "packer": "加固（加壳）"}
PROTECTION_ZH = {"dangerous": "危险权限", "normal": "普通权限", "signature": "签名权限", "unknown": "未知权限"}

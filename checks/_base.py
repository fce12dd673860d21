"""Small helpers shared by the checks (not a check itself)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from gate.core import reference
from gate.core.context import BuildContext, Manifest
from gate.core.labels import CATEGORY_ZH
from gate.core.model import NO_LISTING, Evidence, Finding
from gate.defaults import MAX_EVIDENCE as MAX_EVIDENCE

if TYPE_CHECKING:  # gate.core.code pulls in numpy: imported when the code is first analysed, not with the checks
    from gate.core.code import CallSite, Chain


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
        evidence=(Evidence("listing", NO_LISTING, "listing", extra={"not_checked": needed,
                                                                    "not_checked_zh": needed_zh}),),
        remediation="Submit the build together with its listing (gate scan --listing FILE, or the "
                    "metadata part of the webhook).",
        message_zh=f"此版本提交时未附上架信息，因此无法检查{' ' if needed_zh[:1].isascii() else ''}{needed_zh}。",
        remediation_zh="请随安装包一并提交上架信息（`gate scan --listing` 文件，或 webhook 的 `metadata` 部分）。",
    )


def app_type_known(ctx: BuildContext) -> str | None:
    """The listing's app type when it is one of the known slugs, else None."""
    if ctx.listing is None or not ctx.listing.category:
        return None
    slug = ctx.listing.category.strip()
    return slug if slug in reference.app_types() else None


_ROOT_DEX = re.compile(r"^classes\d*\.dex$")


def site_evidence(ctx: BuildContext, site: CallSite) -> Evidence:
    """A call site as evidence: the API, where it is called, and the SDK that code belongs to."""
    kind, ident = ctx.code.owner(site.caller_class)
    extra: dict[str, object] = {"category": site.category, "owner": kind}
    if kind == "third_party":
        extra["root"] = ident
    if site.via:
        extra["via"] = list(site.via)
    # a hidden call: how it is made and where the resolved name came from
    for name in ("target", "through", "how", "helper"):
        if value := getattr(site, name):
            extra[name] = value
    location = site.caller
    if not _ROOT_DEX.match(site.dex):  # a dex the APK hides in an asset: the path into it, then the method
        location = f"{site.dex}!{site.caller}"
        extra["payload"] = site.dex
    return Evidence(site.kind, site.api, location, sdk=ident if kind == "sdk" else None, extra=extra)


def native_evidence(ctx: BuildContext, categories: set[str]) -> list[Evidence]:
    """Identifying reads of the native libraries in some categories, as evidence naming the library."""
    from gate.core.native import describe, to_extra

    out = []
    for read in ctx.native.reads:
        if read.category in categories:
            out.append(Evidence("native", describe(read)[0], read.library, sdk=read.sdk, extra=to_extra(read)))
    return out


def sites(ctx: BuildContext, categories: set[str]) -> list[CallSite]:
    """Counted call sites (SDK or app code; library wrappers followed to their callers) of some categories."""
    counted, _ = ctx.sensitive_calls
    return [s for s in counted if s.category in categories]


def _by_owner(evidence: list[Evidence]) -> tuple[dict[str, int], dict[str, int], int]:
    """(per SDK id, per unidentified third-party root, in the app's own code) counts."""
    by_sdk: dict[str, int] = {}
    by_root: dict[str, int] = {}
    own = 0
    for e in evidence:
        if e.sdk:
            by_sdk[e.sdk] = by_sdk.get(e.sdk, 0) + 1
        elif e.extra.get("owner") == "third_party":
            root = str(e.extra.get("root", ""))
            by_root[root] = by_root.get(root, 0) + 1
        else:
            own += 1
    return by_sdk, by_root, own


def who(ctx: BuildContext, evidence: list[Evidence]) -> str:
    """"in third-party SDKs jpush (2), in unidentified third-party code `com.vendor.ads` (1) and in the app's
    own code (1)"."""
    by_sdk, by_root, own = _by_owner(evidence)
    parts = []
    if by_sdk:
        parts.append("in third-party SDKs " + ", ".join(f"{k} ({v})" for k, v in sorted(by_sdk.items())))
    if by_root:
        roots = ", ".join(f"`{k}` ({v})" for k, v in sorted(by_root.items()))
        parts.append("in unidentified third-party code " + roots)
    if own:
        parts.append(f"in the app's own code ({own})")
    return " and ".join(parts)


def who_zh(ctx: BuildContext, evidence: list[Evidence]) -> str:
    """"位于第三方 SDK jpush（2 处）、未识别的第三方代码 `com.vendor.ads`（1 处）及应用自身代码（1 处）"."""
    by_sdk, by_root, own = _by_owner(evidence)
    parts = []
    if by_sdk:
        parts.append("第三方 SDK " + "、".join(f"`{k}`（{v} 处）" for k, v in sorted(by_sdk.items())))
    if by_root:
        parts.append("未识别的第三方代码 " + "、".join(f"`{k}`（{v} 处）" for k, v in sorted(by_root.items())))
    if own:
        parts.append(f"应用自身代码（{own} 处）")
    return "位于" + "及".join(parts)


def capped(evidence: list[Evidence], what: str = "call sites") -> tuple[Evidence, ...]:
    """Evidence for a finding, the app's own code first, at most MAX_EVIDENCE items plus a note of the rest."""
    ordered = sorted(evidence, key=lambda e: (e.sdk is not None or e.extra.get("owner") == "third_party",
                                              e.sdk or str(e.extra.get("root", "")), e.location or ""))
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
    for evidence in native_evidence(ctx, set(DEVICE_DATA)):
        found.setdefault(str(evidence.extra["category"]), []).append(evidence)
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
    native = native_evidence(ctx, {category})
    if not evidence and not native:
        return None
    parts, parts_zh = [], []
    if evidence:
        parts.append(f"{len(evidence)} call site(s) {reads}, {who(ctx, evidence)}")
        parts_zh.append(f"{len(evidence)} 处调用{reads_zh}，{who_zh(ctx, evidence)}")
    if native:
        libs = sorted({e.location or "" for e in native})
        parts.append(f"{len(libs)} native librar{'y' if len(libs) == 1 else 'ies'} {reads} "
                     f"({', '.join(libs[:3])}), {who(ctx, native)}")
        parts_zh.append(f"{len(libs)} 个原生库{reads_zh}（{'、'.join(f'`{lib}`' for lib in libs[:3])}），"
                        f"{who_zh(ctx, native)}")
    return Finding(rule_id=rule_id, message="; ".join(parts) + ".", message_zh="；".join(parts_zh) + "。",
                   evidence=capped(evidence) + capped(native, "native reads"))


def necessary_for(slug: str) -> set[str] | None:
    """The device data categories necessary for an app type (None when the type has no table: other)."""
    app_type = reference.app_types().get(slug)
    if app_type is None or app_type.necessary is None:
        return None
    return {TYPE_TERMS.get(term, term) for term in app_type.necessary}


def categories_zh(categories: Iterable[str]) -> str:
    """Category ids as Chinese words joined with 、: "位置信息、通讯录"."""
    return "、".join(CATEGORY_ZH.get(c, c) for c in categories)


# -- behaviour rules (MAL-): code that runs without a user's gesture, and chains to it ---------------------

# Framework bases whose callbacks Android runs on its own (a broadcast, a started service, a job, a timer),
# with those callbacks. An Activity's click handler is deliberately not here: it runs on a user's gesture.
BACKGROUND_CALLBACKS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "receiver": (("Landroid/content/BroadcastReceiver;",),
                 ("onReceive(Landroid/content/Context;Landroid/content/Intent;)V",)),
    "service": (("Landroid/app/Service;", "Landroid/app/IntentService;", "Landroid/app/job/JobService;",
                 "Landroidx/core/app/JobIntentService;"),
                ("onCreate()V", "onStartCommand(Landroid/content/Intent;II)I", "onStart(Landroid/content/Intent;I)V",
                 "onHandleIntent(Landroid/content/Intent;)V", "onHandleWork(Landroid/content/Intent;)V",
                 "onStartJob(Landroid/app/job/JobParameters;)Z")),
    "timer": (("Ljava/util/TimerTask;",), ("run()V",)),
}
ENTRY_KIND_ZH = {"startup": "应用启动", "receiver": "广播接收器", "service": "后台服务", "timer": "定时任务"}


def callbacks_of(ctx: BuildContext, bases: Iterable[str], members: Iterable[str]) -> list[str]:
    """``Lcls;->member`` for every app class below one of ``bases`` that defines (or inherits from an app
    superclass) one of ``members``."""
    code = ctx.code
    out: list[str] = []
    for base in bases:
        for cls in code.subtypes(base):
            out += [sig for m in members if code.defines(sig := f"{cls}->{m}")]
    return list(dict.fromkeys(out))


def background_entries(ctx: BuildContext, kinds: Iterable[str] = ("startup", "receiver", "service", "timer"),
                       ) -> dict[str, str]:
    """Methods Android runs without a user's gesture → their kind: Application start-up and content
    providers ("startup"), broadcast receivers, services and jobs, timer tasks. Library code is left out."""
    from checks.pi_preconsent import entry_points  # the start-up entries are PI-PRECONSENT's

    out: dict[str, str] = {}
    for kind in kinds:
        if kind == "startup":
            sigs = [e for e in entry_points(ctx) if not e.split("->", 1)[1].startswith(("<init>", "<clinit>"))]
        else:
            bases, members = BACKGROUND_CALLBACKS[kind]
            sigs = callbacks_of(ctx, bases, members)
            if kind == "receiver":
                sigs = [s for s in sigs if _system_triggered(ctx, s.split("->", 1)[0])]
        for sig in sigs:
            if not ctx.code.is_library(sig.split("->", 1)[0]):
                out.setdefault(sig, kind)
    return out


def _system_triggered(ctx: BuildContext, class_desc: str) -> bool:
    """A receiver runs on its own when the manifest subscribes it to a system broadcast (boot, SMS, network,
    package changes: actions in the ``android.`` namespaces), or when it has no manifest intent filter (registered
    in code, or the target of an alarm's explicit intent). A receiver declared only for the app's own custom
    actions runs when the app broadcasts them, typically from its own screens: not counted."""
    name = class_desc[1:-1].replace("/", ".")
    declared = [c for c in ctx.manifest.components if c.kind == "receiver" and c.name == name]
    actions = [a for c in declared for f in c.intent_filters for a in f.actions]
    if not actions:
        return True
    return any(a.startswith(("android.", "com.android.")) for a in actions)


def short_method(method: str) -> str:
    """``Lcn/x/Cls;->run()V`` → ``Cls.run``."""
    cls, member = method.split("->", 1)
    return f"{cls[1:-1].rsplit('/', 1)[-1]}.{member.split('(', 1)[0]}"


def chain_evidence(chain: Chain, entry_kind: str | None = None, **extra: object) -> Evidence:
    """A call chain (entry first, then the API) as evidence a reviewer can follow in a decompiler."""
    text = " → ".join([*(short_method(m) for m in chain.methods), short_method(chain.api)])
    data: dict[str, object] = {"chain": [*chain.methods, chain.api], "category": chain.category}
    if entry_kind:
        data["entry"] = entry_kind
    data.update(extra)
    return Evidence("call_chain", text, chain.methods[-1], extra=data)


def not_library(ctx: BuildContext, found: Iterable[CallSite]) -> list[CallSite]:
    return [s for s in found if not ctx.code.is_library(s.caller_class)]

"""The third-party SDK catalogue (gate/data/sdks.json): shape, vocabulary, prefix hygiene, coverage,
and that the SDKs whose code sits in the shared corpus APKs are recognised from their dex classes,
native libraries and assets."""

from __future__ import annotations

import fnmatch
import json
import re
import struct
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, corpus_file

CATALOGUE = ROOT / "gate" / "data" / "sdks.json"

KINDS = {
    "analytics", "push", "ads", "payment", "maps_location", "social_login_share", "crash_apm",
    "device_id_service", "hot_update_plugin", "packer", "debug_bridge", "risk_control", "identity_verification",
    "im_rtc", "ai_speech_vision", "cloud_service", "customer_service", "game_service", "browser_engine", "app_market",
}
DATA_CATEGORIES = {
    "location", "contacts", "call_log", "sms", "microphone", "camera", "device_id", "phone", "app_list",
    "clipboard", "calendar", "storage", "network_info", "sensors", "accounts", "nearby_devices", "body_sensors",
    "physical_activity", "media_images", "media_audio", "media_video",
}
GENERIC_ROOTS = {"com", "cn", "com.google", "com.tencent", "com.alibaba", "com.baidu", "android", "androidx", "java",
                 "kotlin"}
COLLECTING = {"analytics", "push", "ads", "maps_location", "device_id_service", "social_login_share", "payment",
              "crash_apm"}
CJK_RE = re.compile("[\u4e00-\u9fff]")
STRING_FIELDS = ("id", "name_en", "name_zh", "vendor_en", "vendor_zh", "kind", "source")
LIST_FIELDS = ("packages", "classes", "native_libs", "components", "assets", "data_collected")
MARKER_FIELDS = ("packages", "classes", "native_libs", "components", "assets")

ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
JAVA_NAME_RE = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
CLASS_RE = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")


@cache
def catalogue() -> dict[str, Any]:
    with CATALOGUE.open(encoding="utf-8") as fh:
        doc: dict[str, Any] = json.load(fh)
    return doc


def sdks() -> list[dict[str, Any]]:
    return list(catalogue()["sdks"])


def by_id() -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in sdks()}


def overlaps(a: str, b: str) -> bool:
    """Same package, or one is a sub-package of the other (package-boundary prefix)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


# ---------------------------------------------------------------- shape


def test_file_loads_with_source_version_and_enough_sdks() -> None:
    doc = catalogue()
    assert isinstance(doc["source"], str) and doc["source"].strip()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc["version"])
    assert isinstance(doc["sdks"], list)
    assert len(doc["sdks"]) >= 800


def test_collecting_and_chinese_sdks_say_what_they_collect() -> None:
    """Every SDK of a collecting kind, and every Chinese SDK (a Chinese vendor name) that is not a debug bridge
    or packer, lists data categories."""
    missing = [s["id"] for s in sdks() if not s["data_collected"] and (
        s["kind"] in COLLECTING or (CJK_RE.search(s["vendor_zh"]) and s["kind"] not in ("debug_bridge", "packer")))]
    assert not missing


def test_debug_bridges_are_their_own_kind() -> None:
    bridges = {s["id"]: s for s in sdks() if s["kind"] == "debug_bridge"}
    assert {"stetho", "flipper", "leakcanary", "chucker"} <= set(bridges)
    assert "com.facebook.stetho" in bridges["stetho"]["packages"]
    assert not bridges["stetho"]["data_collected"]


def test_catalogue_is_what_build_sdks_writes() -> None:
    """sdks.json is generated: regenerate it with gate/data/build_sdks.py after editing its inputs."""
    signatures = ROOT.parent / "shared" / "corpus" / "signatures"
    if not signatures.is_dir():
        pytest.skip("signature data (../shared/corpus/signatures) absent")
    import subprocess
    import sys
    done = subprocess.run([sys.executable, str(ROOT / "gate" / "data" / "build_sdks.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_vendor_rows_are_confirmed_and_every_entry_names_its_source() -> None:
    """No package of sdks_vendor.psv enters the catalogue on memory alone: each is confirmed by the signature data
    or by a line of sdks_vendor_evidence.tsv, and its entry's source says which."""
    vendor = [s for s in sdks() if s["source"].startswith("sdks_vendor.psv:")]
    assert len(vendor) > 200
    assert all("Package confirmed by " in s["source"] for s in vendor), [
        s["id"] for s in vendor if "Package confirmed by " not in s["source"]]
    evidence = (ROOT / "gate" / "data" / "sdks_vendor_evidence.tsv").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in evidence.splitlines() if line.strip() and not line.startswith("#")]
    assert rows and all(len(r) == 2 and JAVA_NAME_RE.fullmatch(r[0]) and r[1].strip() for r in rows)
    # the psv rows dropped by the audit (packages no public source confirms) stay out
    dropped = {"com.miaozhen.mobile.tracking", "com.testin.agents", "io.mysdk", "cn.jiguang.jmlink",
               "com.alibaba.sdk.android.tlog"}
    assert not dropped & {p for s in vendor for p in s["packages"]}


def test_ids_are_unique_kebab_case() -> None:
    ids = [s["id"] for s in sdks()]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes
    assert all(ID_RE.fullmatch(i) for i in ids), [i for i in ids if not ID_RE.fullmatch(i)]


@pytest.mark.parametrize("entry", sdks(), ids=lambda e: e["id"])
def test_entry_fields_and_types(entry: dict[str, Any]) -> None:
    for field in STRING_FIELDS:
        assert isinstance(entry.get(field), str) and entry[field].strip(), field
    for field in LIST_FIELDS:
        values = entry.get(field)
        assert isinstance(values, list), field
        assert all(isinstance(v, str) and v.strip() == v and v for v in values), field
        assert len(values) == len(set(values)), f"duplicate value in {field}"
    assert entry["kind"] in KINDS
    assert set(entry["data_collected"]) <= DATA_CATEGORIES, set(entry["data_collected"]) - DATA_CATEGORIES
    assert any(entry[f] for f in MARKER_FIELDS), "no identifying marker"


@pytest.mark.parametrize("entry", sdks(), ids=lambda e: e["id"])
def test_marker_syntax(entry: dict[str, Any]) -> None:
    for pkg in entry["packages"]:
        assert JAVA_NAME_RE.fullmatch(pkg), pkg
    for name in entry["classes"] + entry["components"]:
        assert CLASS_RE.fullmatch(name), name
    for lib in entry["native_libs"]:
        assert "/" not in lib and lib.endswith(".so") and lib.startswith("lib"), lib
    for asset in entry["assets"]:
        assert not asset.startswith("/") and ".." not in asset, asset


# ---------------------------------------------------------------- prefix hygiene


def test_no_generic_root_prefixes() -> None:
    bad = [(s["id"], p) for s in sdks() for p in s["packages"] if p in GENERIC_ROOTS]
    assert not bad


def test_no_prefix_claimed_by_two_sdks() -> None:
    """Two SDKs may nest (com.umeng.analytics vs com.umeng.commonsdk, com.huawei.hms.ads vs
    com.huawei.hms.ads.identifier) but never claim the very same package."""
    owners: dict[str, list[str]] = {}
    for s in sdks():
        for p in s["packages"]:
            owners.setdefault(p, []).append(s["id"])
    shared = {p: ids for p, ids in owners.items() if len(ids) > 1}
    assert not shared


def test_libraries_are_listed_and_do_not_overlap_sdk_prefixes() -> None:
    libs = catalogue()["libraries"]
    assert len(libs) >= 30
    lib_ids = [lib["id"] for lib in libs]
    assert len(lib_ids) == len(set(lib_ids))
    sdk_prefixes = [(p, s["id"]) for s in sdks() for p in s["packages"]]
    clashes = []
    for lib in libs:
        assert isinstance(lib["name"], str) and lib["name"].strip()
        assert lib["packages"] and all(JAVA_NAME_RE.fullmatch(p) for p in lib["packages"])
        for lp in lib["packages"]:
            for sp, sid in sdk_prefixes:
                if not overlaps(lp, sp):
                    continue
                # A carve-out takes a sub-package out of an SDK's space (classes another library ships there).
                # Prefixes nest, the longest match owns a class; a carve-out may nest either way but never
                # equal an SDK prefix.
                if lib.get("carve_out") and lp != sp:
                    continue
                clashes.append((lib["id"], lp, sid, sp))
    assert not clashes
    lib_prefixes = {p for lib in libs for p in lib["packages"]}
    for must in ("androidx", "kotlin", "okhttp3", "com.google.gson", "com.bumptech.glide", "com.facebook.fresco",
                 "org.greenrobot.greendao", "io.reactivex", "butterknife", "com.google.zxing", "com.airbnb.lottie"):
        assert must in lib_prefixes, must


def test_every_packer_has_a_native_lib_or_stub_class() -> None:
    packers = [s for s in sdks() if s["kind"] == "packer"]
    assert len(packers) >= 8
    assert all(s["native_libs"] or s["classes"] for s in packers), [s["id"] for s in packers]


# ---------------------------------------------------------------- coverage of the SDKs the gate must know

REQUIRED_PREFIXES = {
    "umeng-analytics": ["com.umeng.analytics"], "umeng-common": ["com.umeng.commonsdk"],
    "umeng-push": ["com.umeng.message"], "umeng-share": ["com.umeng.socialize"],
    "jpush": ["cn.jpush"], "jiguang-jcore": ["cn.jiguang"], "jverification": ["cn.jiguang.verifysdk"],
    "getui-push": ["com.igexin"], "getui-geyan": ["com.g.gysdk"],
    "mobtech-common": ["com.mob"], "mob-sharesdk": ["cn.sharesdk"], "mob-smssdk": ["cn.smssdk"],
    "mob-mobpush": ["com.mob.pushsdk"], "mob-moblink": ["com.mob.moblink"], "mob-sharerec": ["cn.sharerec"],
    "tencent-bugly": ["com.tencent.bugly"], "tencent-bugly-upgrade-hotfix": ["com.tencent.bugly.beta"],
    "tencent-tinker": ["com.tencent.tinker"], "tencent-gdt": ["com.qq.e"],
    "tencent-open-qq": ["com.tencent.connect", "com.tencent.tauth", "com.tencent.open"],
    "wechat-opensdk": ["com.tencent.mm.opensdk"], "tencent-x5-tbs": ["com.tencent.smtt"],
    "tencent-location": ["com.tencent.map.geolocation"], "tencent-mta": ["com.tencent.stat"],
    "tencent-shadow": ["com.tencent.shadow"], "tencent-tpns-xinge": ["com.tencent.android.tpush"],
    "bytedance-pangle": ["com.bytedance.sdk.openadsdk"], "kuaishou-ads": ["com.kwad"],
    "baidu-location": ["com.baidu.location"], "baidu-push": ["com.baidu.android.pushservice"],
    "baidu-mobstat": ["com.baidu.mobstat"], "baidu-mobads": ["com.baidu.mobads"], "baidu-map": ["com.baidu.mapapi"],
    "amap-location": ["com.amap.api.location", "com.loc"], "amap-map": ["com.amap.api.maps", "com.autonavi.amap"],
    "alipay-sdk": ["com.alipay.sdk"], "alipay-apsecurity": ["com.alipay.apmobilesecuritysdk"],
    "alibaba-utdid": ["com.ta.utdid2"], "alibaba-sophix": ["com.taobao.sophix"],
    "aliyun-push": ["com.alibaba.sdk.android.push"], "sina-weibo-sdk": ["com.sina.weibo.sdk"],
    "xiaomi-push": ["com.xiaomi.mipush.sdk"], "huawei-hms-push": ["com.huawei.hms.push"],
    "oppo-push": ["com.heytap.msp", "com.coloros.mcssdk"], "vivo-push": ["com.vivo.push"],
    "meizu-push": ["com.meizu.cloud.pushsdk"], "honor-push": ["com.hihonor.push"],
    "msa-oaid": ["com.bun.miitmdid", "com.bun.supplier"], "iflytek-msc": ["com.iflytek"],
    "sensorsdata": ["com.sensorsdata.analytics"], "growingio": ["com.growingio"], "talkingdata": ["com.tendcloud"],
    "shumei": ["com.ishumei"], "tongdun": ["cn.tongdun"], "netease-yidun": ["com.netease.nis"],
    "dcloud-uniapp": ["io.dcloud"], "bmob": ["cn.bmob.v3"], "qihoo-replugin": ["com.qihoo360.replugin"],
    "meituan-robust": ["com.meituan.robust"], "didi-virtualapk": ["com.didi.virtualapk"],
    "superads": ["com.superads", "com.aitype.android.adsdk"], "lionu-attribution": ["com.android.reportx"],
    "youzan": ["com.youzan.androidsdk"], "unionpay": ["com.unionpay"], "netease-nim": ["com.netease.nimlib"],
    "rongcloud": ["io.rong"], "easemob": ["com.hyphenate"], "tencent-im": ["com.tencent.imsdk"],
    "sobot": ["com.sobot"], "meiqia": ["com.meiqia"], "mintegral": ["com.mbridge"], "sigmob": ["com.sigmob"],
    "alibaba-accs-agoo": ["com.taobao.accs"], "aliyun-httpdns": ["com.alibaba.sdk.android.httpdns"],
    "firebase-analytics": ["com.google.firebase.analytics"],
    "firebase-crashlytics": ["com.google.firebase.crashlytics"],
    "fabric-crashlytics": ["com.crashlytics.android"], "firebase-messaging": ["com.google.firebase.messaging"],
    "firebase-dynamic-links": ["com.google.firebase.dynamiclinks"],
    "google-analytics": ["com.google.android.gms.analytics"],
    "google-admob": ["com.google.android.gms.ads"], "google-play-location": ["com.google.android.gms.location"],
    "facebook-audience-network": ["com.facebook.ads"], "appsflyer": ["com.appsflyer"], "adjust": ["com.adjust.sdk"],
    "branch": ["io.branch"], "flurry": ["com.flurry"], "mixpanel": ["com.mixpanel.android"],
    "amplitude": ["com.amplitude"], "segment": ["com.segment.analytics"], "sentry": ["io.sentry"],
    "bugsnag": ["com.bugsnag"], "instabug": ["com.instabug"], "newrelic": ["com.newrelic.agent.android"],
    "applovin": ["com.applovin"], "unity-ads": ["com.unity3d.ads"], "ironsource": ["com.ironsource"],
    "vungle": ["com.vungle"], "chartboost": ["com.chartboost"], "inmobi": ["com.inmobi"], "tapjoy": ["com.tapjoy"],
    "onesignal": ["com.onesignal"], "braze": ["com.appboy"], "leanplum": ["com.leanplum"],
    "clevertap": ["com.clevertap.android"], "kochava": ["com.kochava"], "tenjin": ["com.tenjin.android"],
    "twitter-kit": ["com.twitter.sdk.android"], "stripe": ["com.stripe.android"], "paypal": ["com.paypal.android.sdk"],
    "mapbox-maps": ["com.mapbox.mapboxsdk"], "here-sdk": ["com.here.android.mpa"],
}
REQUIRED_PACKER_MARKERS = {
    "tencent-legu": ({"libshella-*.so", "libshellx-*.so"}, {"com.tencent.StubShell.TxAppEntry"}),
    "qihoo-jiagu": ({"libjiagu*.so"}, {"com.stub.StubApp"}),
    "bangcle-packer": ({"libsecexe.so", "libsecmain.so"}, {"com.secneo.apkwrapper.ApplicationWrapper"}),
    "ijiami-packer": ({"libexec.so", "libexecmain.so"}, {"com.shell.SuperApplication"}),
    "baidu-packer": ({"libbaiduprotect.so"}, {"com.baidu.protect.StubApplication"}),
    "alibaba-packer": ({"libmobisec*.so"}, {"com.ali.mobisecenhance.StubApplication"}),
}


@pytest.mark.parametrize("sdk_id", sorted(REQUIRED_PREFIXES))
def test_required_sdk_present_with_its_prefixes(sdk_id: str) -> None:
    entry = by_id().get(sdk_id)
    assert entry is not None, f"{sdk_id} missing from the catalogue"
    assert set(REQUIRED_PREFIXES[sdk_id]) <= set(entry["packages"])


def test_google_prefixes_are_specific() -> None:
    prefixes = {p for s in sdks() for p in s["packages"]}
    assert "com.google.android.gms" not in prefixes
    assert "com.google.android" not in prefixes
    assert "com.facebook" not in prefixes  # Fresco, Stetho, React Native live there too


@pytest.mark.parametrize("sdk_id", sorted(REQUIRED_PACKER_MARKERS))
def test_required_packer_markers(sdk_id: str) -> None:
    entry = by_id()[sdk_id]
    libs, classes = REQUIRED_PACKER_MARKERS[sdk_id]
    assert entry["kind"] == "packer"
    assert libs <= set(entry["native_libs"])
    assert classes <= set(entry["classes"])


def test_legu_assets_and_dexguard_has_no_native_libs() -> None:
    assert {"assets/0OO00l111l1l", "assets/o0oooOO0ooOo.dat", "assets/t86", "assets/tosversion"} <= set(
        by_id()["tencent-legu"]["assets"])
    assert "assets/ijiami.dat" in by_id()["ijiami-packer"]["assets"]
    dexguard = by_id()["dexguard"]
    assert dexguard["kind"] == "packer" and dexguard["native_libs"] == []


def test_open_source_utilities_are_not_sdks() -> None:
    prefixes = {p for s in sdks() for p in s["packages"]}
    for lib in ("okhttp3", "retrofit2", "com.google.gson", "com.bumptech.glide", "com.facebook.fresco",
                "org.greenrobot.greendao", "io.reactivex", "butterknife", "org.greenrobot.eventbus",
                "com.google.zxing", "com.airbnb.lottie", "com.yalantis.ucrop", "androidx", "android.support"):
        assert not any(overlaps(lib, p) for p in prefixes), lib


def test_data_lists_of_key_chinese_sdks() -> None:
    expect = {
        "umeng-analytics": {"device_id", "location", "network_info"},
        "jpush": {"device_id", "network_info", "app_list"},
        "getui-push": {"device_id", "app_list", "network_info"},
        "mob-moblink": {"clipboard"},
        "mob-smssdk": {"phone", "contacts"},
        "bytedance-pangle": {"device_id", "app_list", "sensors"},
        "tencent-gdt": {"device_id", "app_list"},
        "amap-location": {"location", "device_id", "network_info"},
        "tencent-location": {"location", "sensors"},
        "iflytek-msc": {"microphone"},
        "getui-geyan": {"phone"},
        "msa-oaid": {"device_id"},
    }
    for sdk_id, cats in expect.items():
        assert cats <= set(by_id()[sdk_id]["data_collected"]), sdk_id


# ---------------------------------------------------------------- recognition in the corpus APKs


def uleb128(buf: bytes, off: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[off]
        off += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, off
        shift += 7


def _defined_classes(dex: bytes) -> list[str]:
    """Dotted names of the classes a dex defines (class_defs -> type_ids -> string_ids)."""
    string_ids_off, type_ids_off = struct.unpack_from("<I", dex, 0x3C)[0], struct.unpack_from("<I", dex, 0x44)[0]
    class_defs_size, class_defs_off = struct.unpack_from("<II", dex, 0x60)
    names = []
    for i in range(class_defs_size):
        type_idx = struct.unpack_from("<I", dex, class_defs_off + 32 * i)[0]
        string_idx = struct.unpack_from("<I", dex, type_ids_off + 4 * type_idx)[0]
        data_off = struct.unpack_from("<I", dex, string_ids_off + 4 * string_idx)[0]
        _, start = uleb128(dex, data_off)
        descriptor = dex[start:dex.index(b"\0", start)].decode("utf-8", "replace")
        if descriptor.startswith("L") and descriptor.endswith(";"):
            names.append(descriptor[1:-1].replace("/", "."))
    return names


def recognised_sdks(apk: Path) -> set[str]:
    """SDK ids recognised from an APK's dex classes (longest package prefix over SDKs and libraries, or a
    marker class), native library file names and zip entry paths (assets). Manifest components are not
    used here, so the corpus expectations below hold from the archive alone."""
    owner: dict[str, str | None] = {}
    for s in sdks():
        owner.update({p: s["id"] for p in s["packages"]})
    for lib in catalogue()["libraries"]:
        owner.update({p: None for p in lib["packages"]})
    found: set[str] = set()
    with zipfile.ZipFile(apk) as zf:
        entries = zf.namelist()
        classes: set[str] = set()
        for name in entries:
            if name.endswith(".dex"):
                data = zf.read(name)
                if data[:3] == b"dex":
                    classes.update(_defined_classes(data))
    for cls in classes:
        parts = cls.split(".")
        for i in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in owner:
                sdk_id = owner[prefix]
                if sdk_id is not None:
                    found.add(sdk_id)
                break
    libs = {e.rsplit("/", 1)[-1] for e in entries if e.startswith("lib/") and e.endswith(".so")}
    for s in sdks():
        if classes.intersection(s["classes"]):
            found.add(s["id"])
        if any(fnmatch.fnmatchcase(lib, pat) for lib in libs for pat in s["native_libs"]):
            found.add(s["id"])
        if any(fnmatch.fnmatchcase(e, pat) for e in entries for pat in s["assets"]):
            found.add(s["id"])
    return found


MOB_SHARE = {"mob-sharesdk", "mobtech-common", "sina-weibo-sdk"}
CORPUS_EXPECTED: dict[str, set[str]] = {
    "apks/agentweb-sample.apk": {"alipay-sdk", "alipay-apsecurity"},
    "apks/amap-path-record-demo.apk": {"amap-location", "amap-map"},
    "apks/apkid-dexguard1.apk": {"umeng-analytics", "umeng-feedback", "umeng-update"},
    "apks/bmob-login-demo.apk": {"bmob"},
    "apks/bugly-hotfix-demo.apk": {"tencent-bugly", "tencent-bugly-upgrade-hotfix", "tencent-tinker"},
    "apks/exodus-instapaper.apk": {"fabric-crashlytics", "fabric-answers", "facebook-core", "facebook-login",
                                   "facebook-share", "firebase-common", "firebase-analytics", "firebase-auth",
                                   "firebase-installations-iid", "firebase-remote-config", "google-ads-identifier"},
    # blooddonation's only "places" classes are the two stubs that play-services-base ships (carved out)
    "apks/exodus-blooddonation.apk": {"google-admob", "google-ads-identifier", "google-safetynet",
                                      "firebase-common", "firebase-installations-iid"},
    "apks/jpush-hbuilder-hello.apk": {"jpush", "dcloud-uniapp", "iflytek-msc", "tencent-open-qq"},
    "apks/lionu-attribution-sdk-demo.apk": {"lionu-attribution"},
    "apks/mob-moblink-demo-2.0.5.apk": MOB_SHARE | {"mob-moblink"},
    "apks/mob-sharerec-systemrecorder-demo.apk": MOB_SHARE | {"mob-sharerec", "mob-smssdk"},
    "apks/mob-sharesdk-sample-2.0.1-2013.apk": {"mob-sharesdk", "sina-weibo-sdk"},
    "apks/mob-sharesdk-samplefresh.apk": MOB_SHARE | {"bytedance-douyin-opensdk"},
    "apks/mob-smssdk-sample-2.0.1.apk": {"mob-smssdk", "mobtech-common"},
    "apks/mob-smssdk-sample-3.3.0.apk": {"mob-smssdk", "mobtech-common"},
    "apks/mobpush-demo.apk": {"mob-mobpush", "mobtech-common", "xiaomi-push", "huawei-hms-push", "huawei-hms-base",
                              "huawei-hms-opendevice", "huawei-hms-analytics", "huawei-updatesdk", "meizu-push",
                              "oppo-push", "vivo-push", "firebase-common", "firebase-messaging",
                              "firebase-installations-iid"},
    "apks/oaid-msa-demo.apk": {"android-cn-oaid", "huawei-ads-identifier", "honor-ads-identifier"},
    "apks/sensorsdata-demo-release.apk": {"sensorsdata"},
    "apks/superads-standalone-demo.apk": {"superads"},
    "apks/robust-sample-release.apk": {"meituan-robust"},
    "apks/replugin-demo3-plugin.apk": {"qihoo-replugin"},
    "apks/shadow-plugin-manager-debug.apk": {"tencent-shadow"},
    "apks/game2048-legu-packed.apk": {"tencent-legu", "tencent-bugly"},
    "apks/minimalpoem-legu-packed.apk": {"tencent-legu", "tencent-bugly"},
    "apks/juzinovel-legu-packed.apk": {"tencent-legu", "tencent-bugly", "tencent-open-qq"},
    "apks/juzinovel-unpacked.apk": {"tencent-open-qq", "stetho"},  # Stetho debug bridge left in a release
    # nothing vendor-made inside: a DIY packer whose stub is also called StubApp must not look like 360 Jiagu
    "apks/zjjiagu-diy-packed-signed.apk": set(),
    "apks/game2048-unpacked.apk": set(),
    "apks/arouter-demo-1.5.2.apk": set(),  # ARouter + fastjson are open-source libraries
}


@pytest.mark.corpus
@pytest.mark.parametrize("relative", sorted(CORPUS_EXPECTED))
def test_corpus_apk_sdks_are_recognised(relative: str) -> None:
    assert recognised_sdks(corpus_file(relative)) == CORPUS_EXPECTED[relative]


@pytest.mark.corpus
def test_corpus_insecurebank_monolithic_play_services() -> None:
    found = recognised_sdks(corpus_file("apks/insecurebankv2.apk"))
    assert {"google-admob", "google-analytics", "google-play-location", "google-maps", "google-tagmanager"} <= found


@pytest.mark.corpus
def test_corpus_weardrawers_has_the_ad_id_client_but_not_admob() -> None:
    found = recognised_sdks(corpus_file("apks/androguard-com.example.android.wearable.wear.weardrawers.apk"))
    assert {"google-ads-identifier", "firebase-common"} <= found
    assert "google-admob" not in found
    # play-services-base's two Places stub classes are neither the Places SDK nor the location SDK
    assert not {"google-places", "google-play-location"} & found

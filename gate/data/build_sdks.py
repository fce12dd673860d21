"""Regenerate gate/data/sdks.json, the SDK catalogue the gate reads at run time.

    python gate/data/build_sdks.py [--signatures DIR] [--check]

Hand-kept entries (gate/data/sdks_hand.json: every SDK checked against its vendor's documentation, the
open-source libraries, the debug bridges) are merged with entries generated from the Apache-2.0 signature
data in ``../shared/corpus/signatures`` (LibRadar's tag_rules.csv, LibChecker-Rules' rules_db_export.tsv and
rule files; see SDK_SOURCES.md). A hand entry always wins: a generated entry that shares a marker with one
(package, component, native library) is dropped, and so is each generated prefix that would claim a big
vendor's whole namespace or overlap an open-source library. Generated entries say so in their ``source``,
and their ``data_collected`` is the kind's typical list, marked as such, until a vendor disclosure is read.

``--check`` exits 1 when the committed sdks.json differs from what the script would write (CI without the
signature data skips the check).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
HAND = HERE / "sdks_hand.json"
VENDOR = HERE / "sdks_vendor.psv"
VENDOR_EVIDENCE = HERE / "sdks_vendor_evidence.tsv"
FINGERPRINTS = HERE / "sdks_fingerprints.json"
OUT = HERE / "sdks.json"
DEFAULT_SIGNATURES = ROOT.parent / "shared" / "corpus" / "signatures"

# Namespaces shared by many products of one vendor, or by everyone: never an SDK prefix by themselves.
BROAD_ROOTS = {
    "com", "cn", "org", "net", "io", "me", "de", "android", "androidx", "java", "javax", "kotlin", "dalvik",
    "com.google", "com.google.android", "com.google.android.gms", "com.android", "com.tencent", "com.alibaba",
    "com.baidu", "com.huawei", "com.xiaomi", "com.facebook", "com.amazon", "com.microsoft", "com.samsung",
    "com.sina", "com.qihoo", "com.qihoo360", "com.bytedance", "com.ss", "com.ss.android", "com.netease",
    "com.meituan", "com.taobao", "com.alipay", "com.aliyun", "com.alibaba.android", "com.tencent.mm",
    "com.baidu.android", "com.apple", "com.yahoo", "com.twitter", "com.sony", "com.lenovo", "com.oppo",
    "com.vivo", "com.meizu", "com.letv", "com.thirdparty", "com.github", "org.apache", "com.squareup",
}

# LibRadar's "Type" to the gate's kinds. Types absent here (Development Aid, Utility, GUI Component,
# Development Framework, Game Engine) are open-source or tooling unless the name says otherwise below.
LIBRADAR_TYPES = {
    "Advertisement": "ads", "Mobile Analytics": "analytics", "Map/LBS": "maps_location", "Payment": "payment",
    "Social Network": "social_login_share", "Digital Identity": "risk_control", "App Market": "app_market",
}
# LibRadar names (any type) and LibChecker labels that are vendor SDKs, with their kind. Everything not named
# here and not typed above is treated as an open-source library or a tool (a package library, or nothing).
NAMED_KINDS: dict[str, str] = {
    # LibRadar "Development Aid" / "Utility" rows that are vendor services
    "Jpush": "push", "Jiguang": "push", "getui": "push", "Xiaomi Push": "push", "Xiaomi XMpush": "push",
    "miaomi mipush": "push", "baidu push service": "push", "Qihoo push": "push", "Umeng Message Push": "push",
    "Umeng push": "push", "Umeng U-push (Old version called agoo)": "push", "Taobao ACCS": "push",
    "ut mini push sdk": "push", "Tencent Tpush (Xinge)": "push", "Google GCM": "push",
    "Qihoo Stat": "analytics", "baidu Stat Android SDK API.": "analytics", "Alibaba MTL": "analytics",
    "Umeng Common": "analytics", "Umeng API": "analytics", "newrelic": "crash_apm", "BugSense": "crash_apm",
    "Fabric": "crash_apm", "Firebase": "analytics", "Heyzap": "ads", "Leadbolt": "ads", "Appbrain SDK": "ads",
    "Pollfish": "ads", "IronSource": "ads", "TapDaq Android SDK": "ads", "Tapit": "ads", "mobfox": "ads",
    "Supersonic MediationSDK(Abandoned)": "ads", "Umeng XP": "ads", "Umeng newxp": "ads", "Everyplay": "ads",
    "Huanxin": "im_rtc", "Netease IM SDK": "im_rtc", "Mob SMS SDK": "identity_verification",
    "Umeng Update": "hot_update_plugin", "baidu autoupdate sdk": "hot_update_plugin",
    "Baidu Frontia": "cloud_service", "Baidu SAPI2": "social_login_share", "Amazon Auth SDK": "social_login_share",
    "Auth0 Android SDK": "social_login_share", "renren sdk": "social_login_share", "Dropbox Java SDK": "cloud_service",
    "Iflytek Thirdparty": "ai_speech_vision", "iflyteck speech": "ai_speech_vision", "iflytek speech":
        "ai_speech_vision", "Xunfei(iflytek) Voice": "ai_speech_vision", "xunfei": "ai_speech_vision",
    "Nuance Speech Kit Library": "ai_speech_vision", "Lenovo LPS": "social_login_share", "Coolyun UAC":
        "social_login_share", "UC GAME": "game_service", "MOGAanywhere": "game_service", "Scoreloop Game":
        "game_service", "OpenFeint": "game_service", "Papaya": "game_service", "Amazon Game Studios":
        "game_service", "Radius Networks": "maps_location", "Stericson RootTools": "risk_control",
    "Letv Cloud": "cloud_service", "Aliyun": "cloud_service", "Amazon AWS": "cloud_service",
    "Dcloud": "hot_update_plugin", "Zywx Wbpalmstar APP Framework": "hot_update_plugin", "Yixia": "im_rtc",
    "Baiduyun Android Player": "cloud_service", "com/deploygate": "debug_bridge", "Tencent WPA": "customer_service",
    "Tencent WebNet": "cloud_service", "ZFEE SDK": "payment", "qwapi": "ads", "Vercoop": "ads",
    "skplanet": "payment", "Smack": "im_rtc", "Xiaomi Smack": "push",
    # LibChecker labels
    "ABSCL": "push", "AGC APM": "crash_apm", "AIUI": "ai_speech_vision", "APMInsight": "crash_apm",
    "AdColony": "ads", "Adjust SDK": "analytics", "Agora RTC SDK": "im_rtc", "AnyChat": "im_rtc",
    "App Center": "crash_apm", "AppGallery Connect": "cloud_service", "AppLovin": "ads", "Audience Network": "ads",
    "Audience Network SDK": "ads", "BARDUmix": "ai_speech_vision", "Bilibili Oauth SDK": "social_login_share",
    "Bmob 后端云": "cloud_service", "Bugly": "crash_apm", "Bugsnag": "crash_apm", "CFCA": "identity_verification",
    "CV SDK": "ai_speech_vision", "Crasheye": "crash_apm", "Crashlytics": "crash_apm", "DCloud": "hot_update_plugin",
    "DataFinder": "analytics", "DuMix": "ai_speech_vision", "EasyAR": "ai_speech_vision", "FCM": "push",
    "Facebook SDK": "social_login_share", "Faceunity Nama SDK": "ai_speech_vision", "FinClip": "hot_update_plugin",
    "Firebase Analytics": "analytics", "Firebase Cloud Messaging": "push", "Firebase Performance": "crash_apm",
    "Flipper ": "debug_bridge", "GME": "im_rtc", "GMP Push SDK": "push", "Gio": "analytics",
    "Google AdMob": "ads", "Google Analytics": "analytics", "Google Play Billing": "payment",
    "Google Sign-In": "social_login_share", "HMS Analytics Kit": "analytics", "HMS Core AAID": "device_id_service",
    "HMS ML Kit": "ai_speech_vision", "HMS Scan Kit": "ai_speech_vision", "HMS Update": "hot_update_plugin",
    "HONOR Push": "push", "HUAWEI Ads Kit": "ads", "HUAWEI DTM": "analytics", "HUAWEI Health Kit": "cloud_service",
    "HUAWEI Push": "push", "Instabug": "crash_apm", "JAd SDK": "ads",
    "JusTalk Cloud": "im_rtc", "KOOM": "crash_apm", "Kwai Ad SDK": "ads", "LeakCanary": "debug_bridge",
    "MMA SDK": "analytics", "MSA SDK": "device_id_service", "MSDK": "game_service", "Mapbox GL Native":
        "maps_location", "Mapbox Mobile Events": "analytics", "Meizu Push": "push", "MiPush": "push",
    "Mtop SDK": "cloud_service", "Nebula SDK": "hot_update_plugin", "OPPO Push": "push",
    "PCDN SDK": "cloud_service", "PLDroidPlayer": "cloud_service", "Pangle SDK": "ads", "PayPal": "payment",
    "Ping++": "payment", "QAPM": "crash_apm", "Qimei SDK": "device_id_service", "RePlugin": "hot_update_plugin",
    "Sentry": "crash_apm", "ShareSDK": "social_login_share", "Sofire": "risk_control", "TBS": "browser_engine",
    "TRTC SDK": "im_rtc", "TUTK SDK": "im_rtc", "TanX": "ads", "TapTap 开发者服务": "game_service",
    "Tinker": "hot_update_plugin", "U-App SDK": "analytics", "U-Game 金融风控组件": "risk_control",
    "U-Share": "social_login_share", "UTDID": "device_id_service", "Unity Ads": "ads", "VCAP": "ai_speech_vision",
    "Yandex SpeechKit": "ai_speech_vision", "eID SDK": "identity_verification", "mPaaS": "cloud_service",
    "mPaaS 扫一扫": "ai_speech_vision", "mPaaS 社交分享": "social_login_share", "nubia Push": "push",
    "vivo Push": "push", "vivo 网游联运 SDK": "game_service", "一键登录 SDK": "identity_verification",
    "七鱼 SDK": "customer_service", "个推": "push", "乐播 SDK": "im_rtc", "人像美化 SDK": "ai_speech_vision",
    "人脸核身 SDK": "identity_verification", "信鸽推送": "push", "华为帐号服务": "social_login_share",
    "即构极速视频 SDK": "im_rtc", "友盟推送": "push", "号码认证服务": "identity_verification",
    "同盾设备指纹": "risk_control", "实人认证 SDK": "identity_verification", "实时音视频": "im_rtc",
    "小爱 SDK": "ai_speech_vision", "小米 IoT SDK": "cloud_service", "小米广告 SDK": "ads",
    "小米更新 SDK": "hot_update_plugin", "小米游戏 SDK": "game_service", "小米账号开放平台": "social_login_share",
    "小红书分享 SDK": "social_login_share", "屹通 SDK": "payment", "岳鹰 SDK": "crash_apm",
    "开普勒 SDK": "ads", "微博 SDK": "social_login_share", "快应用": "hot_update_plugin", "快手广告 SDK": "ads",
    "快手开放平台": "social_login_share", "思必驰": "ai_speech_vision", "手游安全 SDK": "risk_control",
    "抖音 SDK": "social_login_share", "招商银行 SDK": "payment", "支付宝 SDK": "payment",
    "数字联盟可信 ID SDK": "device_id_service", "数美 SDK": "risk_control", "文字识别服务": "ai_speech_vision",
    "日志服务 SLS": "crash_apm", "旷视 SDK": "identity_verification", "星火认知大模型": "ai_speech_vision",
    "智能小程序": "hot_update_plugin", "智齿客服 SDK": "customer_service", "极光推送": "push",
    "极光认证 SDK": "identity_verification", "梆梆安全": "packer", "正版曲库直通车": "cloud_service",
    "游戏语音 GVoice": "im_rtc", "滴滴 SDK": "social_login_share", "火山引擎云手机 SDK": "cloud_service",
    "爱加密": "packer", "环信 IM": "im_rtc", "百川 SDK": "ads", "百川电商 SDK - 唤醒手淘": "ads",
    "百川电商 SDK - 授权": "social_login_share", "百度 LBS": "maps_location", "百度云推送": "push",
    "百度人脸识别": "identity_verification", "百度地图 SDK": "maps_location", "百度应用加固": "packer",
    "神策分析 SDK": "analytics", "离线语音合成": "ai_speech_vision", "离线语音合成 SDK": "ai_speech_vision",
    "移动号码认证": "identity_verification", "移动应用推广 SDK": "ads", "米大师": "payment", "网易云信": "im_rtc",
    "网易云捕": "crash_apm", "网易云通信 SDK": "im_rtc", "网易易盾": "risk_control",
    "网易易盾智能反外挂": "risk_control", "美摄 SDK": "ai_speech_vision", "美洽客服 SDK": "customer_service",
    "翼支付": "payment", "腾讯乐固": "packer", "腾讯云 HTTPDNS": "cloud_service",
    "腾讯云实时音视频 SDK": "im_rtc", "腾讯云直播 SDK": "im_rtc", "腾讯云短视频 SDK": "im_rtc",
    "腾讯云通信": "im_rtc", "腾讯云通信 SDK": "im_rtc", "腾讯优图 SDK": "ai_speech_vision",
    "腾讯地图 SDK": "maps_location", "腾讯广告 SDK": "ads", "腾讯开放平台": "social_login_share",
    "腾讯御安全": "packer", "腾讯流量联盟": "ads", "腾讯游戏 MSDK": "game_service", "腾讯灯塔 SDK": "analytics",
    "腾讯特效 SDK": "ai_speech_vision", "腾讯移动分析": "analytics", "腾讯移动推送": "push",
    "腾讯语音识别": "ai_speech_vision", "融云 IM": "im_rtc", "融云 IM SDK": "im_rtc", "讯飞 SDK": "ai_speech_vision",
    "语音识别 SDK": "ai_speech_vision", "金山云短视频编辑 SDK": "im_rtc", "金融级实人认证 SDK": "identity_verification",
    "银联 SDK": "payment", "闪验 SDK": "identity_verification", "防水墙": "risk_control",
    "阿里云号码认证 SDK": "identity_verification", "阿里云游戏盾": "risk_control", "阿里云短视频 SDK": "im_rtc",
    "阿里云语音服务 SDK": "ai_speech_vision", "阿里移动推送": "push", "阿里移动热修复": "hot_update_plugin",
    "阿里聚安全": "risk_control", "顶象无感验证 SDK": "risk_control", "高德 SDK": "maps_location",
    "高德地图 SDK": "maps_location", "360 加固": "packer", "Weex": "hot_update_plugin", "Hippy": "hot_update_plugin",
    # vendor SDKs among LibChecker labels and LibRadar names that were read as open-source libraries (issue 15)
    "SNPE SDK": "ai_speech_vision", "HiAI Foundation": "ai_speech_vision", "HUAWEI AR Engine": "ai_speech_vision",
    "HMS Audio Kit": "cloud_service", "HMS Video Kit": "cloud_service", "HMS Business Touch Kit": "cloud_service",
    "HMS Core": "social_login_share", "HUAWEI CaaS Engine": "im_rtc", "HUAWEI WebView": "browser_engine",
    "Games plugin for Unity": "game_service", "Unity": "game_service",
    "Unreal Engine": "game_service", "LayaAir": "game_service", "团结引擎": "game_service",
    "GameMaker Studio": "game_service", "Live2D Cubism SDK": "game_service", "Wwise": "game_service",
    "FMOD": "game_service", "Matrix": "crash_apm", "Mira": "hot_update_plugin", "Qigsaw": "hot_update_plugin",
    "Neptune": "hot_update_plugin", "VirtualApp": "hot_update_plugin", "LSPatch": "hot_update_plugin",
    "GaiaX": "hot_update_plugin", "CodeLocator": "debug_bridge", "XNet": "cloud_service",
    "Firebase C++ SDK": "cloud_service",
    "Baidu Search SDK": "ads", "Aviary photo editing SDK": "ai_speech_vision", "Appbyme": "hot_update_plugin",
    "YouTube Android Player API": "cloud_service", "Letv SDK": "cloud_service", "QihooPP Framework": "payment",
    "Tencent SDK Utilities": "social_login_share", "ACRA (Application Crash Reports for Android)": "crash_apm",
    "OpenUDID Salama Generator": "device_id_service", "Authorize.NET": "payment", "Corona": "game_service",
    "Jirbo": "ads", "TapDaq Unity Plugin": "ads",
}
# Native-library names too common to identify anyone's SDK (libmain.so is NativeActivity's default name).
GENERIC_NATIVE = {"libmain.so"}
# What an SDK of each kind typically collects, used until its vendor's disclosure is read (then the entry
# moves to the hand-kept file with the vendor's own list).
KIND_DATA: dict[str, list[str]] = {
    "analytics": ["device_id", "network_info"], "push": ["device_id", "network_info"],
    "ads": ["device_id", "network_info", "location"], "maps_location": ["location", "network_info"],
    "device_id_service": ["device_id"], "social_login_share": ["device_id", "accounts"],
    "payment": ["device_id", "network_info"], "crash_apm": ["device_id", "network_info"],
    "risk_control": ["device_id", "network_info", "app_list"], "identity_verification": ["phone", "camera",
    "device_id"], "im_rtc": ["microphone", "camera", "device_id"], "ai_speech_vision": ["device_id"],
    "cloud_service": ["device_id", "network_info"], "customer_service": ["device_id", "network_info"],
    "game_service": ["device_id", "network_info"], "hot_update_plugin": ["device_id"],
    "browser_engine": ["device_id", "network_info"], "app_market": ["device_id", "app_list"],
    "packer": ["device_id"], "debug_bridge": [],
}
COLLECTING = {"analytics", "push", "ads", "maps_location", "device_id_service", "social_login_share", "payment",
              "crash_apm", "risk_control", "identity_verification"}
# English and Chinese names of the vendors the signature data names, for entries whose vendor it does not give.
VENDORS: list[tuple[str, str, str]] = [  # (substring of name/team/package, vendor_en, vendor_zh)
    ("tencent", "Tencent", "腾讯"), ("腾讯", "Tencent", "腾讯"), ("qq", "Tencent", "腾讯"),
    ("baidu", "Baidu", "百度"), ("百度", "Baidu", "百度"), ("alibaba", "Alibaba", "阿里巴巴"),
    ("aliyun", "Alibaba Cloud", "阿里云"), ("阿里", "Alibaba", "阿里巴巴"), ("alipay", "Ant Group", "蚂蚁集团"),
    ("支付宝", "Ant Group", "蚂蚁集团"), ("mpaas", "Ant Group", "蚂蚁集团"), ("taobao", "Alibaba", "阿里巴巴"),
    ("百川", "Alibaba", "阿里巴巴"), ("umeng", "Umeng+", "友盟+"), ("友盟", "Umeng+", "友盟+"),
    ("huawei", "Huawei", "华为"), ("hms", "Huawei", "华为"), ("华为", "Huawei", "华为"),
    ("honor", "Honor", "荣耀"), ("xiaomi", "Xiaomi", "小米"), ("小米", "Xiaomi", "小米"),
    ("mipush", "Xiaomi", "小米"), ("小爱", "Xiaomi", "小米"), ("oppo", "OPPO", "OPPO"), ("vivo", "vivo", "vivo"),
    ("meizu", "Meizu", "魅族"), ("nubia", "nubia", "努比亚"), ("bytedance", "ByteDance", "字节跳动"),
    ("pangle", "ByteDance", "字节跳动"), ("volcengine", "Volcano Engine (ByteDance)", "火山引擎（字节跳动）"),
    ("火山", "Volcano Engine (ByteDance)", "火山引擎（字节跳动）"), ("抖音", "ByteDance", "字节跳动"),
    ("datafinder", "Volcano Engine (ByteDance)", "火山引擎（字节跳动）"), ("apminsight", "Volcano Engine (ByteDance)",
    "火山引擎（字节跳动）"), ("gmp", "Volcano Engine (ByteDance)", "火山引擎（字节跳动）"),
    ("kwai", "Kuaishou", "快手"), ("快手", "Kuaishou", "快手"), ("jiguang", "Aurora Mobile (JIGUANG)", "极光"),
    ("jpush", "Aurora Mobile (JIGUANG)", "极光"), ("极光", "Aurora Mobile (JIGUANG)", "极光"),
    ("getui", "Getui", "个推"), ("igexin", "Getui", "个推"), ("个推", "Getui", "个推"),
    ("mob", "MobTech", "袤博科技（MobTech）"), ("sina", "Sina Weibo", "新浪微博"), ("weibo", "Sina Weibo", "新浪微博"),
    ("微博", "Sina Weibo", "新浪微博"), ("netease", "NetEase", "网易"), ("网易", "NetEase", "网易"),
    ("qihoo", "Qihoo 360", "奇虎360"), ("360", "Qihoo 360", "奇虎360"), ("iflytek", "iFlytek", "科大讯飞"),
    ("讯飞", "iFlytek", "科大讯飞"), ("xunfei", "iFlytek", "科大讯飞"), ("letv", "LeTV", "乐视"),
    ("lenovo", "Lenovo", "联想"), ("coolyun", "Coolpad", "酷派"), ("iqiyi", "iQIYI", "爱奇艺"),
    ("didi", "DiDi", "滴滴"), ("滴滴", "DiDi", "滴滴"), ("神策", "Sensors Data", "神策数据"),
    ("amap", "Amap (Alibaba)", "高德（阿里巴巴）"), ("高德", "Amap (Alibaba)", "高德（阿里巴巴）"),
    ("autonavi", "Amap (Alibaba)", "高德（阿里巴巴）"), ("unionpay", "China UnionPay", "中国银联"),
    ("银联", "China UnionPay", "中国银联"), ("翼支付", "China Telecom Bestpay", "天翼电子商务（翼支付）"),
    ("招商银行", "China Merchants Bank", "招商银行"), ("同盾", "Tongdun", "同盾科技"), ("数美", "Ishumei", "数美科技"),
    ("顶象", "Dingxiang", "顶象技术"), ("旷视", "Megvii", "旷视科技"), ("融云", "RongCloud", "融云"),
    ("环信", "Easemob", "环信"), ("huanxin", "Easemob", "环信"), ("七鱼", "NetEase", "网易"),
    ("智齿", "Sobot", "智齿科技"), ("美洽", "Meiqia", "美洽"), ("美摄", "Meishe", "美摄"),
    ("闪验", "Shanyan (Chuanglan)", "创蓝闪验"), ("思必驰", "AISpeech", "思必驰"), ("乐播", "Lebo", "乐播"),
    ("即构", "ZEGO", "即构科技"), ("金山", "Kingsoft Cloud", "金山云"), ("梆梆", "Bangcle", "梆梆安全"),
    ("爱加密", "ijiami", "爱加密"), ("数字联盟", "Digital Union", "数字联盟"), ("屹通", "Yitong", "屹通"),
    ("岳鹰", "Alibaba (UC)", "阿里巴巴（UC）"), ("开普勒", "JD.com", "京东"), ("msa", "MSA (CAICT)",
    "移动安全联盟（中国信通院）"), ("移动安全联盟", "MSA (CAICT)", "移动安全联盟（中国信通院）"),
    ("移动号码认证", "China Mobile", "中国移动"), ("china mobile", "China Mobile", "中国移动"),
    ("米大师", "Tencent", "腾讯"), ("防水墙", "Tencent", "腾讯"), ("星火", "iFlytek", "科大讯飞"),
    ("dcloud", "DCloud", "数字天堂（DCloud）"), ("数字天堂", "DCloud", "数字天堂（DCloud）"),
    ("bmob", "Bmob", "比目科技（Bmob）"), ("taptap", "TapTap", "心动网络（TapTap）"), ("ping++", "Ping++", "Ping++"),
    ("renren", "Renren", "人人网"), ("anzhi", "Anzhi", "安智"), ("duoku", "Baidu", "百度"),
    ("domob", "Domob", "多盟"), ("youmi", "Youmi", "有米"), ("adwo", "Adwo", "安沃"), ("adsmogo", "AdsMOGO",
    "芒果（AdsMOGO）"), ("kuguo", "Kuguo", "酷果"), ("madhouse", "Madhouse", "亿动"), ("dianjin", "Dianjin", "点金"),
    ("tenddata", "TalkingData", "腾云天下（TalkingData）"), ("xinhua", "Xinhua", "新华网"), ("anychat",
    "BairuiTech", "广州佰锐网络科技"), ("justalk", "Juphoon", "宁波菊风系统软件"), ("faceunity", "FaceUnity",
    "杭州相芯科技"), ("easyar", "VisionStar", "视辰信息科技"), ("cfca", "CFCA", "中国金融认证中心"),
    ("eid", "Third Research Institute of MPS", "公安部第三研究所"), ("crasheye", "Seasun (Kingsoft)", "西山居"),
    ("finclip", "FinClip", "凡泰极客"), ("qimei", "Tencent", "腾讯"), ("utdid", "Alibaba", "阿里巴巴"),
    ("tanx", "Alibaba", "阿里巴巴"), ("sofire", "Baidu", "百度"), ("mtop", "Alibaba Cloud", "阿里云"),
    ("pcdn", "Ant Group", "蚂蚁集团"), ("nebula", "Ant Group", "蚂蚁集团"), ("pldroid", "Qiniu", "七牛云"),
    ("tbs", "Tencent", "腾讯"), ("trtc", "Tencent", "腾讯"), ("gme", "Tencent", "腾讯"), ("msdk", "Tencent", "腾讯"),
    ("bugly", "Tencent", "腾讯"), ("tinker", "Tencent", "腾讯"), ("qapm", "Tencent", "腾讯"), ("koom",
    "Kuaishou", "快手"), ("jad", "JD.com", "京东"), ("vcap", "vivo", "vivo"), ("abscl", "Huawei", "华为"),
    ("agc", "Huawei", "华为"), ("google", "Google", "谷歌"), ("firebase", "Google", "谷歌"), ("admob", "Google",
    "谷歌"), ("fcm", "Google", "谷歌"), ("gcm", "Google", "谷歌"), ("facebook", "Meta", "Meta（脸书）"),
    ("audience network", "Meta", "Meta（脸书）"), ("flipper", "Meta", "Meta（脸书）"), ("amazon", "Amazon", "亚马逊"),
    ("microsoft", "Microsoft", "微软"), ("app center", "Microsoft", "微软"), ("samsung", "Samsung", "三星"),
    ("twitter", "X (Twitter)", "X（推特）"), ("unity", "Unity Technologies", "Unity"), ("yandex", "Yandex", "Yandex"),
]
CJK = re.compile("[\u4e00-\u9fff]")
CN_ROOTS = ("cn.", "com.tencent.", "com.baidu.", "com.alibaba.", "com.alipay.", "com.taobao.", "com.umeng.",
            "com.huawei.", "com.xiaomi.", "com.qihoo", "com.sina.", "com.netease.", "com.bytedance.", "com.ss.",
            "com.meizu.", "com.vivo.", "com.heytap.", "com.coloros.", "com.igexin.", "com.mob.", "com.amap.",
            "com.autonavi.", "com.iflytek.", "com.kwad.", "com.letv.", "com.lenovo.", "com.yunos.", "com.aliyun.")


def _slug(text: str) -> str:
    ascii_part = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return ascii_part


def _pkg(libradar_prefix: str) -> str:
    return libradar_prefix.strip().lstrip("L").rstrip("/").replace("/", ".")


def _glob_of(regex: str) -> str | None:
    """A LibChecker native-library regex as a glob, when it is a plain name with ``(.*)`` holes."""
    text = regex.replace("(.*)", "*").replace(r"\.", ".")
    return None if re.search(r"[()\[\]|+?\\^$]", text) else text


def _vendor(*texts: str) -> tuple[str, str]:
    hay = " ".join(texts).lower()
    for needle, en, zh in VENDORS:
        if needle in hay:
            return en, zh
    return "", ""


def _norm(name: str) -> str:
    name = re.sub(r"\((?:[^()]*proxy)\)", "", name, flags=re.I)
    return re.sub(r"[\s_\-()（）.]+", "", name.lower())


def libradar(sig: Path) -> dict[str, dict[str, Any]]:
    """Library name → {"kind", "packages", "site"} from tag_rules.csv (rows named "no" are not libraries)."""
    out: dict[str, dict[str, Any]] = {}
    with (sig / "libradar" / "tag_rules.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = (row.get("Library Name") or "").strip()
            if not name or name == "no":
                continue
            kind = NAMED_KINDS.get(name) or LIBRADAR_TYPES.get((row.get("Type") or "").strip()) or "library"
            entry = out.setdefault(name, {"kind": kind, "packages": [], "site": (row.get("Official Website") or "")})
            pkg = _pkg(row["Package Name"])
            if pkg and pkg not in entry["packages"]:
                entry["packages"].append(pkg)
    return out


def libchecker(sig: Path) -> dict[str, dict[str, Any]]:
    """Label → markers from rules_db_export.tsv, with the team and description of the label's rule files."""
    base = sig / "libchecker-rules"
    meta: dict[str, dict[str, str]] = {}
    for folder in ("native-libs", "activities-libs", "services-libs", "receivers-libs", "providers-libs",
                   "static-libs"):
        for f in sorted((base / folder).glob("*.json")):
            try:
                doc = json.loads(f.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(doc, dict) and doc.get("label"):
                meta.setdefault(doc["label"], {"team": doc.get("team") or "", "url": doc.get("relativeUrl") or ""})
    out: dict[str, dict[str, Any]] = {}
    with (base / "rules_db_export.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            label = row["label"].strip()
            base_label = re.sub(r"\s*\([^()]*Proxy\)$", "", label)  # "MiPush(GeTui Proxy)": MiPush's receiver
            entry = out.setdefault(base_label, {"packages": [], "components": [], "native_libs": [],
                                                **meta.get(label, meta.get(base_label, {"team": "", "url": ""}))})
            name, kind, is_regex = row["name"].strip(), row["kind"], row["is_regex"] == "1"
            if kind == "native_lib":
                value = _glob_of(name) if is_regex else name
                if value and value.startswith("lib") and value.endswith(".so") and "/" not in value \
                        and value not in GENERIC_NATIVE:
                    entry["native_libs"].append(value)
            elif kind in ("service", "activity", "receiver", "provider") and not is_regex:
                entry["components"].append(name)
            elif kind == "dex_package" and not is_regex:
                entry["packages"].append(name)
    return out


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def signature_names(sig: Path) -> list[str]:
    """Every package prefix and component name the signature data carries (LibRadar, LibChecker, LibScout)."""
    names = [_pkg(r["Package Name"]) for r in csv.DictReader(
        (sig / "libradar" / "tag_rules.csv").open(encoding="utf-8"))]
    with (sig / "libchecker-rules" / "rules_db_export.tsv").open(encoding="utf-8") as fh:
        names += [r["name"].strip() for r in csv.DictReader(fh, delimiter="\t") if r["is_regex"] != "1"]
    scout = json.loads((sig / "libscout" / "trackers.json").read_text(encoding="utf-8"))
    names += [lib["groupid"] for lib in scout.get("libraries", [])]
    return [n for n in names if n.count(".") >= 1]


def vendor_evidence() -> dict[str, str]:
    """Package → how it was confirmed, for the psv packages the signature data does not carry."""
    out: dict[str, str] = {}
    for line in VENDOR_EVIDENCE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            package, how = line.split("\t", 1)
            out[package.strip()] = how.strip()
    return out


def _confirmation(package: str, names: list[str], evidence: dict[str, str]) -> str | None:
    # a signature name confirms the package when it is the package, lies under it, or is a specific parent of it
    for name in names:
        if name == package or name.startswith(package + ".") or (
                package.startswith(name + ".") and name.count(".") >= 2):
            return f"signature data ({name})"
    return evidence.get(package)


def vendor_rows(sig: Path) -> list[tuple[dict[str, Any], list[str]]]:
    """The SDKs of sdks_vendor.psv, each with its packages that neither the signature data nor
    sdks_vendor_evidence.tsv confirms (build() refuses a row that would enter the catalogue with one)."""
    names, evidence = signature_names(sig), vendor_evidence()
    out: list[tuple[dict[str, Any], list[str]]] = []
    for line in VENDOR.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("|")
        kind, ident, name_en, name_zh, vendor_en, vendor_zh, packages, site = fields[:8]
        confirmed = [_confirmation(p, names, evidence) for p in packages.split()]
        unconfirmed = [p for p, c in zip(packages.split(), confirmed, strict=True) if c is None]
        chinese = bool(CJK.search(name_zh + vendor_zh))
        data = KIND_DATA[kind] if (chinese or kind in COLLECTING) else []
        note = " Data categories: typical of the kind, the vendor's disclosure not yet read." if data else ""
        origin = fields[8] if len(fields) > 8 and fields[8].strip() else \
            f"package named in the vendor's integration guide ({site})"
        checks = "; ".join(dict.fromkeys(c for c in confirmed if c))
        out.append(({
            "id": ident, "name_en": name_en, "name_zh": name_zh or name_en, "vendor_en": vendor_en,
            "vendor_zh": vendor_zh or vendor_en, "kind": kind, "packages": packages.split(), "classes": [],
            "native_libs": [], "components": [], "assets": [], "data_collected": list(data),
            "source": f"sdks_vendor.psv: {origin}. Package confirmed by {checks}.{note}",
        }, unconfirmed))
    return out


def _with_data(entry: dict[str, Any]) -> dict[str, Any]:
    """A hand entry of a collecting kind, or by a Chinese vendor, with no data list gets its kind's typical one."""
    kind = entry["kind"]
    if entry["data_collected"] or kind in ("packer", "debug_bridge"):
        return entry
    if kind in COLLECTING or CJK.search(entry["vendor_zh"]):
        return {**entry, "data_collected": list(KIND_DATA[kind]),
                "source": entry["source"] + ". Data categories: typical of the kind, the vendor's disclosure not "
                                            "yet read."}
    return entry


def _clashes(entry: dict[str, Any], sdks: list[dict[str, Any]], libraries: list[dict[str, Any]]) -> bool:
    pkgs = [p for s in sdks for p in s["packages"]] + [p for lib in libraries for p in lib["packages"]]
    ids = {s["id"] for s in sdks}
    return entry["id"] in ids or any(_overlaps(p, q) for p in entry["packages"] for q in pkgs)


def build(sig: Path | None) -> dict[str, Any]:
    hand = json.loads(HAND.read_text(encoding="utf-8"))
    sdks: list[dict[str, Any]] = [_with_data(s) for s in hand["sdks"]]
    libraries: list[dict[str, Any]] = list(hand["libraries"])
    if sig is None or not sig.is_dir():
        raise SystemExit(f"signature data not found at {sig}: pass --signatures DIR")
    unconfirmed: list[str] = []
    for entry, missing in vendor_rows(sig):  # the hand-kept file wins over a vendor row naming the same packages
        if not _clashes(entry, sdks, libraries):
            sdks.append(entry)
            unconfirmed += [f"{entry['id']}: {p}" for p in missing]
    if unconfirmed:  # no package enters the catalogue on memory alone
        raise SystemExit("sdks_vendor.psv packages confirmed by neither the signature data nor "
                         "sdks_vendor_evidence.tsv: " + ", ".join(unconfirmed))
    taken_pkgs = [p for s in sdks for p in s["packages"]]
    lib_pkgs = [p for lib in libraries for p in lib["packages"]]
    taken_components = {c for s in sdks for c in s["components"]}
    taken_libs = {n for s in sdks for n in s["native_libs"]}
    ids = {s["id"] for s in sdks} | {lib["id"] for lib in libraries}
    names = {_norm(s["name_en"]) for s in sdks} | {_norm(s["name_zh"]) for s in sdks}

    # candidates: LibRadar name or LibChecker label, merged when their normalised names agree
    cands: dict[str, dict[str, Any]] = {}
    for name, row in libradar(sig).items():
        c = cands.setdefault(_norm(name), {"name": name, "kind": row["kind"], "packages": [], "components": [],
                                           "native_libs": [], "team": "", "from": []})
        c["packages"] += row["packages"]
        c["from"].append(f"libradar tag_rules.csv ({', '.join(row['packages'][:4])})")
    for label, row in libchecker(sig).items():
        kind = NAMED_KINDS.get(label, NAMED_KINDS.get(label.strip(), "library"))
        c = cands.setdefault(_norm(label), {"name": label.strip(), "kind": kind, "packages": [], "components": [],
                                            "native_libs": [], "team": row["team"], "from": []})
        if c["kind"] == "library":
            c["kind"] = kind
        c["team"] = c["team"] or row["team"]
        for key in ("packages", "components", "native_libs"):
            c[key] += row[key]
        shown = (row["native_libs"] + row["components"] + row["packages"])[:3]
        c["from"].append(f"libchecker-rules ({label.strip()}: {', '.join(shown)})")

    for key, c in sorted(cands.items()):
        packages = [p for p in _unique(c["packages"]) if p not in BROAD_ROOTS and "." in p]
        if c["kind"] == "library":  # open-source or tooling: a library entry when it brings a package prefix
            packages = [p for p in packages if not any(_overlaps(p, q) for q in taken_pkgs + lib_pkgs)]
            ident = "lib-" + (_slug(c["name"]) or "x")
            if packages and ident not in ids:
                libraries.append({"id": ident, "name": c["name"], "packages": packages,
                                  "source": "; ".join(c["from"])})
                ids.add(ident)
                lib_pkgs += packages
            continue
        components = _unique(c["components"])
        native_libs = _unique(c["native_libs"])
        # a hand entry already knows this SDK: drop the candidate whole
        if key in names or any(_overlaps(p, q) for p in packages for q in taken_pkgs) \
                or taken_components & set(components) or taken_libs & set(native_libs):
            continue
        packages = [p for p in packages if not any(_overlaps(p, q) for q in lib_pkgs)]
        if not (packages or components or native_libs):
            continue
        # a label with no ASCII name (most Chinese labels) gets an id from a hash of the label, so that ids do
        # not move when entries are added before it
        ident = _slug(c["name"]) or _slug(" ".join(packages)) or \
            "sdk-" + hashlib.sha1(c["name"].encode("utf-8")).hexdigest()[:8]
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", ident) or ident in ids:
            ident = f"{ident}-sdk" if ident and ident + "-sdk" not in ids else \
                "sdk-" + hashlib.sha1(c["name"].encode("utf-8")).hexdigest()[:8]
        vendor_en, vendor_zh = _vendor(c["name"], c["team"], " ".join(packages + components))
        if not vendor_en:
            vendor_en = c["team"] if c["team"] and not CJK.search(c["team"]) else c["name"]
            vendor_zh = c["team"] or vendor_en
        chinese = bool(CJK.search(c["name"] + c["team"] + vendor_zh)) or any(
            (p + ".").startswith(CN_ROOTS) for p in packages + components)
        kind = c["kind"]
        data = KIND_DATA.get(kind, []) if (chinese or kind in COLLECTING) else []
        note = " Data categories: typical of the kind, the vendor's disclosure not yet read." if data else ""
        sdks.append({
            "id": ident, "name_en": c["name"], "name_zh": c["name"], "vendor_en": vendor_en, "vendor_zh": vendor_zh,
            "kind": kind, "packages": packages, "classes": [], "native_libs": native_libs, "components": components,
            "assets": [], "data_collected": list(data), "generated": True,
            "source": "generated by gate/data/build_sdks.py from " + "; ".join(c["from"]) + "." + note,
        })
        ids.add(ident)
        taken_pkgs += packages
        taken_components |= set(components)
        taken_libs |= set(native_libs)
    return {**hand, "sdks": with_fingerprints(sdks), "libraries": libraries}


def with_fingerprints(sdks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each SDK of sdks_fingerprints.json with its optional ``meta_data`` and ``hosts`` and their source, added
    after the entry's own fields (kept in a file of their own so the entries themselves stay as they are)."""
    table = json.loads(FINGERPRINTS.read_text(encoding="utf-8"))["sdks"]
    ids = {s["id"] for s in sdks}
    unknown = sorted(set(table) - ids)
    if unknown:
        raise SystemExit(f"sdks_fingerprints.json names SDKs the catalogue does not have: {', '.join(unknown)}")
    out = []
    for entry in sdks:
        extra = table.get(entry["id"])
        if extra:
            entry = {**entry, **{k: extra[k] for k in ("meta_data", "hosts") if extra.get(k)},
                     "fingerprint_source": extra["fingerprint_source"]}
        out.append(entry)
    return out


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--signatures", type=Path, default=DEFAULT_SIGNATURES)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    text = render(build(args.signatures))
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("sdks.json is up to date" if same else "sdks.json differs from build_sdks.py's output")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    doc = json.loads(text)
    print(f"wrote {OUT}: {len(doc['sdks'])} SDKs, {len(doc['libraries'])} libraries")
    return 0


if __name__ == "__main__":
    sys.exit(main())

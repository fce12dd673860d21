"""Chinese labels for the ids a finding carries: data categories, SDK kinds, permission protection levels.

The checks write them into their Chinese messages and the verdict page shows them beside the ids, so they
live in the core, below both. An id not named here is shown as itself."""

from __future__ import annotations

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



# SDK kinds and permission protection levels in Chinese.
SDK_KIND_ZH = {"analytics": "统计分析", "push": "推送", "ads": "广告", "payment": "支付", "maps_location": "地图定位",
           "social_login_share": "社交登录与分享", "crash_apm": "崩溃与性能监控", "device_id_service": "设备标识服务",
           "hot_update_plugin": "热更新与插件化", "packer": "加固（加壳）",
           "debug_bridge": "调试桥（不应出现在发布版本中）", "risk_control": "风控与设备指纹",
           "identity_verification": "身份认证",
           "im_rtc": "即时通讯与音视频", "ai_speech_vision": "语音与视觉智能", "cloud_service": "云服务",
           "customer_service": "在线客服", "game_service": "游戏服务", "browser_engine": "浏览器内核",
           "app_market": "应用市场"}
PROTECTION_ZH = {"dangerous": "危险权限", "normal": "普通权限", "signature": "签名权限", "unknown": "未知权限"}

"""Constant propagation (gate.core.constprop) on the real dex of the hidden-calls / hidden-quiet fixtures."""

from __future__ import annotations

import json
import zipfile
from fnmatch import fnmatchcase

from gate.apk.dex import DexFile
from gate.core.constprop import Analyzer, Hidden, identify, identifying_sources
from tests.conftest import APKS, fixture_apk


def _hidden(name: str) -> list[Hidden]:
    with zipfile.ZipFile(fixture_apk(name)) as z:
        dex = DexFile("classes.dex", z.read("classes.dex"))
    return Analyzer([dex]).hidden()


def _by(found: list[Hidden], kind: str, caller_part: str) -> Hidden:
    [h] = [h for h in found if h.kind == kind and caller_part in h.caller]
    return h


def test_reflection_names_from_constants_builders_static_fields_and_helpers() -> None:
    found = _hidden("hidden-calls")
    imei = _by(found, "method", "Refl;->imei")
    assert imei.target == "Landroid/telephony/TelephonyManager;->getDeviceId"
    assert imei.how == 'class "android.telephony.TelephonyManager", method "getDeviceId"'
    built = _by(found, "method", "Built;->apps")
    assert built.target == "Landroid/content/pm/PackageManager;->getInstalledPackages"
    static = _by(found, "method", "Names;->imsi")  # static_values of a static final field
    assert static.target == "Landroid/telephony/TelephonyManager;->getSubscriberId"
    assert "Names;->TM:Ljava/lang/String;" in static.how
    clinit = _by(found, "field", "Names;->serial")  # a value stored by <clinit> (String.concat)
    assert clinit.target == "Landroid/os/Build;->SERIAL"
    assert '"SER" + "IAL"' in clinit.how
    helper = _by(found, "method", "Paste;->read")  # resolved at the helper's call site
    assert helper.target == "Landroid/content/ClipboardManager;->getPrimaryClip"
    assert helper.helper and "Helper;->call(" in helper.helper
    # the helper alone resolves nothing: its names are parameters
    assert not [h for h in found if "Helper;->call" in h.caller]
    # the pre-consent edge: App.onCreate reflects on an SDK method of the APK
    assert _by(found, "method", "App;->onCreate").target == "Lcom/umeng/commonsdk/utils/Refl;->imei"


def test_keys_properties_commands_and_paths() -> None:
    found = _hidden("hidden-calls")
    key = _by(found, "setting", "Keys;->androidId")
    assert (key.target, key.how) == ("android_id", '"andr" + "oid_id"')
    prop = _by(found, "property", "Props;->serial")
    assert prop.target == "ro.serialno" and prop.reflective
    assert _by(found, "command", "Shell;->packages").target == "pm list packages"
    pb = _by(found, "command", "Shell;->mac")
    assert pb.target == "sh -c cat /sys/class/net/wlan0/address"
    assert pb.api == "Ljava/lang/ProcessBuilder;-><init>([Ljava/lang/String;)V"
    assert _by(found, "file", "NetFiles;->mac").target == "/sys/class/net/wlan0/address"
    assert _by(found, "file", "NetFiles;->arp").target == "/proc/net/arp"


def test_harmless_targets_resolve_but_identify_nothing() -> None:
    found = _hidden("hidden-quiet")
    targets = {h.kind: h.target for h in found if h.kind != "method"}
    assert targets == {"file": "/sys/class/power_supply/battery/capacity", "field": "Landroid/os/Build;->MODEL",
                       "property": "ro.build.version.release", "command": "getprop ro.build.version.release"}
    assert identify("files", targets["file"]) is None
    assert identify("properties", targets["property"]) is None
    assert identify("commands", targets["command"]) is None
    assert not [h for h in found if "getDeviceId" in h.target]  # the log message is no call


def test_identifying_sources_table() -> None:
    raw = json.loads((APKS.parents[2] / "gate" / "data" / "identifying_sources.json").read_text(encoding="utf-8"))
    for section, key in (("files", "pattern"), ("properties", "name"), ("commands", "pattern")):
        assert raw[section]
        for entry in raw[section]:
            assert set(entry) == {key, "category", "what", "source"} and all(entry.values())
    assert len(identifying_sources()["properties"]) == len(raw["properties"])
    assert identify("files", "/sys/class/net/eth0/address").category == "device_id"  # type: ignore[union-attr]
    assert identify("properties", "ro.boot.serialno") is not None
    assert identify("commands", "busybox   ifconfig -a").category == "device_id"  # type: ignore[union-attr]
    assert identify("commands", "sh -c pm list packages -3").category == "app_list"  # type: ignore[union-attr]
    assert not fnmatchcase("/sys/class/power_supply/battery/capacity", "/sys/class/net/*/address")


def test_string_concat_factory_call_sites() -> None:
    # javac 9+ string concatenation without D8's desugaring: invoke-custom on StringConcatFactory, its recipe
    # (\u0001 an argument, \u0002 a bootstrap constant) in the call site's encoded array
    found = _hidden("concat-calls")
    key = _by(found, "setting", "Concat;->androidId")
    assert key.target == "android_id" and key.how == '"andr" + "oid_id"'
    imei = _by(found, "method", "Concat;->imei")
    assert imei.target == "Landroid/telephony/TelephonyManager;->getDeviceId"
    assert imei.how == 'class "android.telephony." + "Telephony" + "Manager", method "getDevice" + "Id"'
    # a recipe building a log line that names getDeviceId is only a string
    assert not [h for h in found if "logOnly" in h.caller]
    assert len(found) == 2

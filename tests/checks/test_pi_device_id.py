from tests.conftest import corpus_file, finding, rule_ids, scan_apk, scan_fixture


def test_call_sites_in_an_sdk_and_in_the_apps_own_code() -> None:
    f = finding(scan_fixture("sdk-calls"), "PI-DEVICE-ID")
    by_caller = {e.location: e for e in f.evidence}
    umeng = by_caller["Lcom/umeng/commonsdk/statistics/DeviceInfo;->getImei(Landroid/content/Context;)"
                      "Ljava/lang/String;"]
    assert umeng.value == "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;"
    assert umeng.sdk and umeng.sdk.startswith("umeng")
    own = by_caller["Lcn/gate/fixture/sdk_calls/NetInfo;->mac(Landroid/content/Context;)Ljava/lang/String;"]
    assert own.value == "Landroid/net/wifi/WifiInfo;->getMacAddress()Ljava/lang/String;" and own.sdk is None
    assert own.extra["owner"] == "app"
    assert len(f.evidence) == 2
    assert "in the app's own code (1)" in f.message


def test_through_a_subclass_of_the_framework_class() -> None:
    f = finding(scan_fixture("subclass-api"), "PI-DEVICE-ID")
    [e] = f.evidence
    assert e.value == "Landroid/telephony/TelephonyManager;->getSubscriberId()Ljava/lang/String;"
    assert e.location == "Lcn/gate/fixture/subclass_api/Reader;->imsi(Landroid/content/Context;)Ljava/lang/String;"


def test_settings_get_string_counts_only_for_android_id() -> None:
    assert "PI-DEVICE-ID" not in rule_ids(scan_fixture("settings-other"))
    f = finding(scan_fixture("preconsent"), "PI-DEVICE-ID")
    assert any("Settings$Secure;->getString" in e.value for e in f.evidence)


def test_apps_without_such_calls() -> None:
    assert "PI-DEVICE-ID" not in rule_ids(scan_fixture("clean"))


def test_library_wrappers_are_followed_not_blamed() -> None:
    # Sensors Data: AndroidX's TelephonyManagerCompat.getImei wraps getDeviceId, but nothing calls it.
    verdict = scan_apk(corpus_file("apks/sensorsdata-demo-release.apk"))
    f = finding(verdict, "PI-DEVICE-ID")
    assert all(not (e.location or "").startswith("Landroidx/") for e in f.evidence)
    assert any((e.sdk or "").startswith("sensors") for e in f.evidence)


RULE_OF = {"device_id": "PI-DEVICE-ID", "app_list": "PI-APP-LIST", "clipboard": "PI-CLIPBOARD"}


def _expected(name: str) -> dict:  # type: ignore[type-arg]
    import json

    from tests.conftest import APKS

    return json.loads((APKS.parent / "expected.json").read_text(encoding="utf-8"))["fixtures"][name]["code"]


def test_hidden_calls_are_call_sites_with_their_technique() -> None:
    # Every technique of hidden-calls (reflection with constant, built, static-field and helper-passed names,
    # a Settings key built at run time, SystemProperties by reflection, shell commands, file reads) is
    # reported under its data rule, with the resolved target and where the names came from.
    verdict = scan_fixture("hidden-calls")
    expected = _expected("hidden-calls")["hidden_calls"]
    assert expected
    for site in expected:
        f = finding(verdict, RULE_OF[site["category"]])
        [e] = [e for e in f.evidence if e.location == site["caller"] and e.value == site["value"]]
        assert e.kind == site["kind"], site["technique"]
        assert all(text in e.extra["how"] for text in site["how_contains"]), (site["technique"], e.extra["how"])
        assert e.extra["through"] == site["through"]
        assert e.extra.get("target") == site.get("target")
        assert e.extra.get("helper") == site.get("helper")
        assert (e.sdk or "").startswith("umeng") if site["sdk_prefix"] == "com.umeng" else e.sdk is None
    counted = {RULE_OF[s["category"]]: 0 for s in expected}
    for s in expected:
        counted[RULE_OF[s["category"]]] += 1
    for rule, n in counted.items():
        assert len(finding(verdict, rule).evidence) == n, rule


def test_hiding_techniques_on_harmless_targets_stay_quiet() -> None:
    # getDeviceId in a log message, reflection on Build.MODEL and on a private method of the app,
    # SystemProperties.get("ro.build.version.release"), the battery level file, getprop of the release.
    assert _expected("hidden-quiet")["not_hidden_calls"]
    ids = rule_ids(scan_fixture("hidden-quiet"))
    assert not ids & {"PI-DEVICE-ID", "PI-APP-LIST", "PI-CLIPBOARD", "PI-PRECONSENT"}


def test_native_libraries_read_identifiers() -> None:
    f = finding(scan_fixture("native-ids"), "PI-DEVICE-ID")
    by_lib = {e.location: e for e in f.evidence}
    assert set(by_lib) == {"lib/arm64-v8a/libjcore-mac.so", "lib/arm64-v8a/libserial.so",
                           "lib/arm64-v8a/libjniimei.so"}  # one ABI; the battery reader stays quiet
    assert all(e.kind == "native" and e.extra["category"] == "device_id" for e in f.evidence)
    mac = by_lib["lib/arm64-v8a/libjcore-mac.so"]
    assert mac.sdk == "jiguang-jcore" and mac.extra["target"] == "/sys/class/net/wlan0/address"
    assert by_lib["lib/arm64-v8a/libserial.so"].extra["imports"] == ["__system_property_get"]
    assert by_lib["lib/arm64-v8a/libjniimei.so"].extra["how"] == "jni"
    assert "3 native libraries" in f.message and "原生库" in (f.message_zh or "")


def test_a_battery_reading_library_is_quiet() -> None:
    assert "PI-DEVICE-ID" not in rule_ids(scan_fixture("native-quiet"))


def test_a_dex_hidden_in_an_asset_is_read() -> None:
    f = finding(scan_fixture("hidden-payload"), "PI-DEVICE-ID")
    [e] = f.evidence
    assert e.value == "Landroid/telephony/TelephonyManager;->getImei()Ljava/lang/String;"
    assert e.location == ("assets/x.dat!classes.dex!Lcn/gate/fixture/payload_imei/Imei;->read(Landroid/content/"
                          "Context;)Ljava/lang/String;")
    assert e.extra["payload"] == "assets/x.dat!classes.dex"

from tests.conftest import corpus_file, finding, rule_ids, scan_apk, scan_fixture


def test_chain_through_two_sdk_classes_from_application_on_create() -> None:
    f = finding(scan_fixture("preconsent"), "PI-PRECONSENT")
    chains = {tuple(e.extra["chain"]) for e in f.evidence}
    assert (
        "Lcn/gate/fixture/preconsent/App;->onCreate()V",
        "Lcom/umeng/commonsdk/UMConfigure;->init(Landroid/content/Context;)V",
        "Lcn/jpush/android/api/JPushInterface;->init(Landroid/content/Context;)V",
        "Landroid/telephony/TelephonyManager;->getImei()Ljava/lang/String;",
    ) in chains
    imei = next(e for e in f.evidence if e.extra["chain"][-1].endswith("getImei()Ljava/lang/String;"))
    assert imei.kind == "call_chain" and imei.location == "Lcn/gate/fixture/preconsent/App;->onCreate()V"
    assert imei.sdk and imei.sdk.startswith("jpush")
    assert any(s.startswith("umeng") for s in imei.extra["sdks_on_path"])
    assert imei.value == "App.onCreate → UMConfigure.init → JPushInterface.init → TelephonyManager.getImei"


def test_chain_from_a_content_provider_with_android_id() -> None:
    f = finding(scan_fixture("preconsent"), "PI-PRECONSENT")
    chains = {tuple(e.extra["chain"]) for e in f.evidence}
    assert (
        "Lcn/gate/fixture/preconsent/InitProvider;->onCreate()Z",
        "Lcn/gate/fixture/preconsent/Ids;->androidId(Landroid/content/Context;)Ljava/lang/String;",
        "Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)Ljava/lang/String;",
    ) in chains
    assert len(chains) == 2


def test_calls_reached_only_after_consent_are_not_preconsent() -> None:
    verdict = scan_fixture("no-preconsent")
    assert "PI-DEVICE-ID" in rule_ids(verdict)
    assert "PI-PRECONSENT" not in rule_ids(verdict)
    assert "PI-PRECONSENT" not in rule_ids(scan_fixture("sdk-calls"))  # nothing calls Later.run


def test_corpus_push_demo_initialises_sdks_in_application() -> None:
    f = finding(scan_apk(corpus_file("apks/mobpush-demo.apk")), "PI-PRECONSENT")
    assert all(e.extra["chain"][0].startswith("L") for e in f.evidence if e.extra)


def test_chain_through_resolved_reflection() -> None:
    # App.onCreate invokes Refl.imei by name (Class.forName + getMethod + invoke): an edge of the call graph;
    # Refl.imei reads getDeviceId by reflection: a sink. Nothing else in the app runs before consent.
    f = finding(scan_fixture("hidden-calls"), "PI-PRECONSENT")
    [e] = f.evidence
    assert e.extra["chain"] == [
        "Lcn/gate/fixture/hidden_calls/App;->onCreate()V",
        "Lcom/umeng/commonsdk/utils/Refl;->imei(Landroid/content/Context;)Ljava/lang/String;",
        "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;",
    ]
    assert e.sdk and e.sdk.startswith("umeng")


def test_harmless_reflection_before_consent_is_quiet() -> None:
    # hidden-quiet's App.onCreate calls every harmless technique, including reflection on its own method
    assert "PI-PRECONSENT" not in rule_ids(scan_fixture("hidden-quiet"))


def test_tasks_link_only_where_created_on_the_path_and_the_shortest_chain_is_reported() -> None:
    """App.onCreate creates AndroidIdTask and posts it to a Handler (linked); ImeiTask is created by MainActivity
    only and reachable from App.onCreate just through a virtual call on their shared base class (not linked);
    of two chains to Ids.serial the shorter is reported."""
    f = finding(scan_fixture("preconsent-async"), "PI-PRECONSENT")
    base = "Lcn/gate/fixture/preconsent_async/"
    chains = {e.extra["chain"][-1]: e.extra["chain"] for e in f.evidence}
    assert set(chains) == {"Landroid/os/Build;->getSerial()Ljava/lang/String;",
                           "Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;"
                           "Ljava/lang/String;)Ljava/lang/String;"}
    assert chains["Landroid/os/Build;->getSerial()Ljava/lang/String;"] == [
        base + "App;->onCreate()V", base + "Ids;->serial()Ljava/lang/String;",
        "Landroid/os/Build;->getSerial()Ljava/lang/String;"]
    assert chains["Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;"
                  "Ljava/lang/String;)Ljava/lang/String;"][:2] == [base + "App;->onCreate()V",
                                                                  base + "AndroidIdTask;->run()V"]
    assert not any("ImeiTask" in m for e in f.evidence for m in e.extra["chain"])

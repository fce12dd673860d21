from tests.conftest import corpus_file, finding, rule_ids, scan_apk, scan_fixture


def test_flags_boot_receivers_that_start_a_service() -> None:
    """BootReceiver (boot + connectivity) starts SyncService: flagged with its boot action. QuietBootReceiver
    listens to boot but starts nothing, PresentReceiver listens to USER_PRESENT only: neither is."""
    f = finding(scan_fixture("self-start"), "HAR-SELF-START")
    by_receiver = {e.location: e.extra["actions"] for e in f.evidence}
    assert by_receiver == {
        'AndroidManifest.xml <receiver android:name="cn.gate.fixture.self_start.BootReceiver">':
            ["android.intent.action.BOOT_COMPLETED"],
    }
    (e,) = f.evidence
    assert e.extra["starts"] == ["startService"]


def test_apps_without_wake_up_receivers_are_not_flagged() -> None:
    assert "HAR-SELF-START" not in rule_ids(scan_fixture("clean"))
    assert "HAR-SELF-START" not in rule_ids(scan_fixture("exported"))  # a receiver, but no wake-up action


def test_corpus_push_sdk_demo_self_starts() -> None:
    f = finding(scan_apk(corpus_file("apks/mobpush-demo.apk")), "HAR-SELF-START")
    assert f.evidence


def test_starting_other_apps_in_code() -> None:
    f = finding(scan_fixture("start-other-apps"), "HAR-SELF-START")
    by_caller = {e.location: e for e in f.evidence}
    base = "Lcn/gate/fixture/start_other_apps/Launcher;->"
    assert by_caller[base + "openWeChat(Landroid/content/Context;)V"].extra["packages"] == ["com.tencent.mm"]
    assert "com.other.app" in by_caller[base + "wakeService(Landroid/content/Context;)V"].extra["packages"]
    assert base + "bindOther(Landroid/content/Context;Landroid/content/ServiceConnection;)Z" in by_caller
    assert base + "startOwn(Landroid/content/Context;)V" not in by_caller


def test_alarms_that_restart_the_app_but_not_screens_opened_for_the_user() -> None:
    """A repeating alarm whose PendingIntent starts the app's own service restarts the app; an alarm that only
    delivers a broadcast does not, and opening Settings, a permission screen or the store starts no other app."""
    f = finding(scan_fixture("self-start-alarm"), "HAR-SELF-START")
    base = "Lcn/gate/fixture/self_start_alarm/"
    assert {e.location: e.extra.get("alarm") for e in f.evidence} == {
        base + "Scheduler;->keepAlive(Landroid/content/Context;)V": "setRepeating"}
    (e,) = f.evidence
    assert e.extra["pending"] == ["getService"]

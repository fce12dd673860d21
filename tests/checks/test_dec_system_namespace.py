from tests.conftest import corpus_file, finding, rule_ids, scan_apk, scan_fixture


def test_platform_packages_are_reported_support_libraries_are_not() -> None:
    f = finding(scan_fixture("system-namespace"), "DEC-SYSTEM-NAMESPACE")
    assert {e.location for e in f.evidence} == {"Landroid/app/FakeHelper;", "Lcom/android/internal/util/Spoof;",
                                                "Ljava/lang/Fake;", "Ldalvik/system/Fake;"}


def test_plain_apps() -> None:
    assert "DEC-SYSTEM-NAMESPACE" not in rule_ids(scan_fixture("clean"))
    assert "DEC-SYSTEM-NAMESPACE" not in rule_ids(scan_apk(corpus_file("apks/androguard-app-prod-debug.apk")))


def test_lionu_attribution_sdk_in_com_android() -> None:
    f = finding(scan_apk(corpus_file("apks/lionu-attribution-sdk-demo.apk")), "DEC-SYSTEM-NAMESPACE")
    assert any("com.android.reportx" in e.value for e in f.evidence)

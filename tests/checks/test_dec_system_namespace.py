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


def test_an_app_living_under_com_android_is_flagged_only_for_real_platform_roots() -> None:
    """The app's package is com.android.example.styling: its sibling com.android.example.common is its own code;
    the com.android.internal class it defines is platform imitation."""
    f = finding(scan_fixture("system-namespace-own"), "DEC-SYSTEM-NAMESPACE")
    assert {e.location for e in f.evidence} == {"Lcom/android/internal/policy/Shadow;"}

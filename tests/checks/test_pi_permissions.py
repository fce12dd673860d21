from tests.conftest import corpus_file, finding, scan_apk, scan_fixture


def test_inventory_gives_each_permission_its_category() -> None:
    f = finding(scan_fixture("old-target"), "PI-PERMISSIONS")
    assert str(f.outcome) == "info"
    cats = {e.value: e.extra.get("category") for e in f.evidence}
    assert cats["android.permission.READ_CONTACTS"] == "contacts"
    assert cats["android.permission.ACCESS_FINE_LOCATION"] == "location"


def test_namespaced_uses_permission_counts() -> None:
    f = finding(scan_fixture("namespaced-permission"), "PI-PERMISSIONS")
    by_name = {e.value: e for e in f.evidence}
    assert by_name["android.permission.READ_SMS"].location == "AndroidManifest.xml <android:uses-permission>"
    assert by_name["android.permission.READ_SMS"].extra["category"] == "sms"


def test_insecurebankv2_declares_twelve_permissions() -> None:
    f = finding(scan_apk(corpus_file("apks/insecurebankv2.apk")), "PI-PERMISSIONS")
    assert len(f.evidence) == 12
    prefixed = [e.value for e in f.evidence if e.location == "AndroidManifest.xml <android:uses-permission>"]
    assert sorted(prefixed) == ["android.permission.READ_CALL_LOG", "android.permission.READ_EXTERNAL_STORAGE",
                                "android.permission.READ_PHONE_STATE"]


def test_no_inventory_without_permissions() -> None:
    verdict = scan_apk(corpus_file("apks/androguard-AndroidManifest_ShortName.apk"))
    assert all(f.rule_id != "PI-PERMISSIONS" for f in verdict.findings)

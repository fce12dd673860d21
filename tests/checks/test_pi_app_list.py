from tests.conftest import finding, rule_ids, scan_fixture


def test_sdk_reading_installed_packages() -> None:
    f = finding(scan_fixture("sdk-calls"), "PI-APP-LIST")
    [e] = f.evidence
    assert e.location == "Lcn/jpush/android/api/AppLister;->list(Landroid/content/Context;)Ljava/util/List;"
    assert e.value == "Landroid/content/pm/PackageManager;->getInstalledPackages(I)Ljava/util/List;"
    assert e.sdk and e.sdk.startswith("jpush")


def test_query_all_packages_permission_alone() -> None:
    f = finding(scan_fixture("app-store", "app-store"), "PI-APP-LIST")
    assert f.evidence[0].value == "android.permission.QUERY_ALL_PACKAGES"


def test_no_app_list() -> None:
    assert "PI-APP-LIST" not in rule_ids(scan_fixture("clean"))


def test_app_list_by_reflection_and_by_shell_command() -> None:
    f = finding(scan_fixture("hidden-calls"), "PI-APP-LIST")
    by_kind = {e.kind: e for e in f.evidence}
    assert set(by_kind) == {"reflection", "command"}
    assert by_kind["command"].value == "pm list packages"
    assert by_kind["command"].extra["through"] == "Ljava/lang/Runtime;->exec(Ljava/lang/String;)Ljava/lang/Process;"
    reflected = by_kind["reflection"]
    assert reflected.value == "Landroid/content/pm/PackageManager;->getInstalledPackages(I)Ljava/util/List;"
    how = 'class "android.content.pm." + "PackageManager", method "getInstalled" + "Packages"'
    assert reflected.extra["how"] == how


def test_a_raw_dex_asset_is_read() -> None:
    f = finding(scan_fixture("hidden-payload"), "PI-APP-LIST")
    assert any(e.location == "assets/raw.bin!Lcn/gate/fixture/payload_apps/Apps;->list(Landroid/content/Context;)"
               "Ljava/util/List;" for e in f.evidence)


def test_the_message_keeps_the_case_of_names() -> None:
    """Only the first letter is raised: "SDKs" and the permission's name stay as everywhere else."""
    by_sdk = finding(scan_fixture("sdk-calls"), "PI-APP-LIST").message
    assert by_sdk.startswith("1 call site(s) read") and "in third-party SDKs jpush" in by_sdk
    by_permission = finding(scan_fixture("app-store", "app-store"), "PI-APP-LIST").message
    assert by_permission.startswith("The app requests QUERY_ALL_PACKAGES,")

from tests.conftest import finding, rule_ids, scan_fixture


def test_the_apps_own_clipboard_read() -> None:
    f = finding(scan_fixture("sdk-calls"), "PI-CLIPBOARD")
    [e] = f.evidence
    assert e.location == "Lcn/gate/fixture/sdk_calls/Paste;->read(Landroid/content/Context;)Ljava/lang/String;"
    assert e.sdk is None


def test_through_a_subclass() -> None:
    f = finding(scan_fixture("subclass-api"), "PI-CLIPBOARD")
    assert f.evidence[0].value == "Landroid/content/ClipboardManager;->getPrimaryClip()Landroid/content/ClipData;"


def test_no_clipboard() -> None:
    assert "PI-CLIPBOARD" not in rule_ids(scan_fixture("clean"))

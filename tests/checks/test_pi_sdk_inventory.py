from tests.conftest import corpus_file, finding, rule_ids, scan_apk, scan_fixture


def test_fixture_sdks_are_listed_in_the_verdict() -> None:
    verdict = scan_fixture("sdk-calls")
    ids = {s["id"] for s in verdict.to_dict()["sdks"]}
    assert any(i.startswith("umeng") for i in ids) and any(i.startswith("jpush") for i in ids)
    f = finding(verdict, "PI-SDK-INVENTORY")
    assert str(f.outcome) == "info"
    for sdk in verdict.to_dict()["sdks"]:
        assert sdk["name"] and sdk["vendor"] and sdk["category"] and sdk["evidence"]


def test_no_sdk_in_a_plain_app() -> None:
    verdict = scan_fixture("clean")
    assert verdict.to_dict()["sdks"] == []
    assert "PI-SDK-INVENTORY" not in rule_ids(verdict)


def test_the_legu_shell_brings_bugly() -> None:
    sdks = {s["id"] for s in scan_apk(corpus_file("apks/game2048-legu-packed.apk")).to_dict()["sdks"]}
    assert any("bugly" in s for s in sdks) and any("legu" in s for s in sdks)
    assert scan_apk(corpus_file("apks/game2048-unpacked.apk")).to_dict()["sdks"] == []


def test_classes_in_platform_namespaces_are_not_unidentified_vendors() -> None:
    # A2DP Volume defines stubs in android.bluetooth: that imitates the platform (DEC-SYSTEM-NAMESPACE's
    # concern), it is no third party's code.
    verdict = scan_apk(corpus_file("apks/androguard-a2dp.Vol_137.apk"))
    inventory = [e.value for f in verdict.findings if f.rule_id == "PI-SDK-INVENTORY" for e in f.evidence]
    assert not any("android.bluetooth" in value for value in inventory)

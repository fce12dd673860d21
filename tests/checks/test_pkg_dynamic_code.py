from tests.conftest import corpus_file, finding, rule_ids, scan_apk, scan_fixture


def test_class_loaders_and_payloads_by_content() -> None:
    f = finding(scan_fixture("dynamic-code"), "PKG-DYNAMIC-CODE")
    loaders = {(e.location, e.value) for e in f.evidence if e.kind == "api"}
    assert ("Lcn/gate/fixture/dynamic_code/Loader;->loadFile(Landroid/content/Context;)Ljava/lang/ClassLoader;",
            "Ldalvik/system/DexClassLoader;-><init>(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;"
            "Ljava/lang/ClassLoader;)V") in loaders
    assert any("InMemoryDexClassLoader" in v for _, v in loaders)
    payloads = {e.location: e.extra["payload"] for e in f.evidence if e.kind == "file"}
    assert payloads == {"assets/payload.dex": "dex", "assets/plugin.jar": "jar", "assets/update.bin": "apk"}


def test_no_dynamic_code() -> None:
    assert "PKG-DYNAMIC-CODE" not in rule_ids(scan_fixture("clean"))


def test_corpus_hot_update_frameworks() -> None:
    for name in ("robust-sample-release", "shadow-plugin-manager-debug", "replugin-demo3-plugin"):
        f = finding(scan_apk(corpus_file(f"apks/{name}.apk")), "PKG-DYNAMIC-CODE")
        assert any(e.kind == "sdk" for e in f.evidence), name
    assert finding(scan_apk(corpus_file("apks/hotfixdemo-classloader.apk")), "PKG-DYNAMIC-CODE")


def test_payloads_by_content_and_a_class_loader_built_by_reflection() -> None:
    f = finding(scan_fixture("hidden-payload"), "PKG-DYNAMIC-CODE")
    payloads = {e.location: e.extra["payload"] for e in f.evidence if e.kind == "file"}
    assert payloads == {"assets/x.dat": "jar", "assets/raw.bin": "dex"}
    [reflective] = [e for e in f.evidence if e.extra.get("reflective")]
    assert reflective.location == ("Lcn/gate/fixture/hidden_payload/Loader;->reflect(Ljava/lang/String;"
                                   "Ljava/lang/ClassLoader;)Ljava/lang/Object;")
    assert "dalvik.system.DexClassLoader" in reflective.value
    assert "by reflection" in f.message


def test_a_zip_of_json_in_the_assets_is_quiet() -> None:
    assert "PKG-DYNAMIC-CODE" not in rule_ids(scan_fixture("json-zip-asset"))
